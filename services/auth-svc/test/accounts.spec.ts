import { memoryThrottle } from "./throttle-harness.js";
import { openCallScope, runInCallScope } from "@faultmaven/call-scope";
import { CancelledError, UnauthenticatedError, UnavailableError } from "@faultmaven/errors";
import { waitFor } from "@faultmaven/test-kit";
import { LoginThrottledError } from "../src/domain/errors.js";
import { HashingSlots } from "../src/domain/hashing-slots.js";
import { Accounts } from "../src/domain/accounts.js";
import { Passwords } from "../src/domain/passwords.js";
import type { ParsedToken } from "../src/domain/token.js";
import { MemoryAuthStore } from "../src/memory/memory-auth-store.js";

describe("Accounts", () => {
  const passwords = new Passwords();

  it("does not hand out a token when a password change lands while the login is in flight", async () => {
    let issued: ParsedToken | undefined;
    class RacingStore extends MemoryAuthStore {
      override async stageToken(token: ParsedToken, ttlMs: number) {
        const info = await super.stageToken(token, ttlMs);
        issued = token;
        // The whole password change completes exactly now.
        await this.changePassword(token.userId, () => passwords.hash("the new password"));
        return info;
      }
    }
    const store = new RacingStore();
    const accounts = new Accounts(store, passwords, 60_000, memoryThrottle());
    await accounts.createUser({ username: "racer", email: "racer@example.com", password: "the old password", displayName: "", roles: [] });
    await expect(accounts.login({ username: "racer" }, "the old password")).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await store.validateToken(issued!)).toBeUndefined();
  });

  it("answers UNAUTHENTICATED and leaves no token when the user is deleted while the login is in flight", async () => {
    let issued: ParsedToken | undefined;
    let accounts: Accounts;
    class RacingStore extends MemoryAuthStore {
      override async stageToken(token: ParsedToken, ttlMs: number) {
        const info = await super.stageToken(token, ttlMs);
        issued = token;
        // The whole DeleteUser completes exactly now, after this token was staged.
        await accounts.deleteUser(token.userId);
        return info;
      }
    }
    const store = new RacingStore();
    accounts = new Accounts(store, passwords, 60_000, memoryThrottle());
    const user = await accounts.createUser({
      username: "doomed",
      email: "doomed@example.com",
      password: "the password",
      displayName: "",
      roles: [],
    });
    await expect(accounts.login({ username: "doomed" }, "the password")).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await store.revokeToken(issued!)).toBeUndefined();
    expect(await store.listUserTokens(user.userId)).toEqual([]);
  });

  it.each([
    ["recording the login", "recordLogin"],
    ["committing the token", "commitToken"],
  ] as const)("leaves no token when the store fails while %s", async (_, step) => {
    let staged: ParsedToken | undefined;
    class FailingStore extends MemoryAuthStore {
      override async stageToken(token: ParsedToken, ttlMs: number) {
        staged = token;
        return super.stageToken(token, ttlMs);
      }
    }
    const store = new FailingStore();
    const accounts = new Accounts(store, passwords, 60_000, memoryThrottle());
    const user = await accounts.createUser({
      username: "unlucky",
      email: "unlucky@example.com",
      password: "the password",
      displayName: "",
      roles: [],
    });
    (store as unknown as Record<typeof step, () => Promise<never>>)[step] = () => Promise.reject(new UnavailableError("redis"));
    await expect(accounts.login({ username: "unlucky" }, "the password")).rejects.toBeInstanceOf(UnavailableError);
    expect(staged).toBeDefined();
    expect(await store.revokeToken(staged!)).toBeUndefined();
    expect(await store.validateToken(staged!)).toBeUndefined();
    expect(await store.listUserTokens(user.userId)).toEqual([]);
  });

  it("answers an unknown user exactly like a wrong password", async () => {
    const accounts = new Accounts(new MemoryAuthStore(), passwords, 60_000, memoryThrottle());
    await accounts.createUser({ username: "known", email: "known@example.com", password: "right password", displayName: "", roles: [] });
    const wrong = await accounts.login({ username: "known" }, "wrong password").catch((e: unknown) => e);
    const unknown = await accounts.login({ username: "unknown" }, "wrong password").catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(UnauthenticatedError);
    expect(unknown).toEqual(wrong);
  });
});

describe("Accounts login throttling", () => {
  it("keeps the counts of logins cancelled while waiting for a hashing slot (a caller cannot take its own guesses back)", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 50, accountQueue: 4 });
    const accounts = new Accounts(new MemoryAuthStore(), new Passwords(undefined, slots), 60_000, memoryThrottle({ accountThreshold: 10 }));
    // Hold the only hashing slot, and park 9 wrong logins behind it, each in a call that is then cancelled.
    let free!: () => void;
    const held = slots.run("login", () => new Promise<void>((resolve) => (free = resolve)));
    const parked = Array.from({ length: 9 }, () => {
      const call = openCallScope(undefined);
      const login = runInCallScope(call.scope, () => accounts.login({ username: "victim" }, "a wrong guess")).catch((e: unknown) => e);
      return { call, login };
    });
    await waitFor("the 9 logins to wait for a slot", () => slots.waiting() === 9);
    for (const { call } of parked) call.cancel();
    for (const { login } of parked) expect(await login).toBeInstanceOf(CancelledError);
    free();
    await held;
    // The 9 cancelled attempts still count: the 10th reaches the threshold, and the next is refused.
    await expect(accounts.login({ username: "victim" }, "a wrong guess")).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(accounts.login({ username: "victim" }, "a wrong guess")).rejects.toBeInstanceOf(LoginThrottledError);
  });
});
