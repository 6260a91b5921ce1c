import { createHash } from "node:crypto";
import { runInCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError } from "@faultmaven/errors";
import type { AuthStore } from "../src/domain/auth-store.js";
import { UsernameTakenError } from "../src/domain/errors.js";
import { mintToken } from "../src/domain/token.js";
import type { AuthStoreFactory } from "./auth-store-contract.js";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
let counter = 0;
const unique = (prefix: string) => `${prefix}${process.pid}i${++counter}`;

/** Runs `work` as a call of `method` carrying idempotency key `key`, for a request described by `request`. */
function keyed<T>(method: string, key: string, request: string, work: () => Promise<T>): Promise<T> {
  const fingerprint = createHash("sha256").update(request).digest("hex");
  const scope = {
    deadline: undefined,
    signal: new AbortController().signal,
    idempotency: { name: `${method}:${key}`, fingerprint, windowMs: 60_000 },
  };
  return runInCallScope(scope, work);
}

/** The field an InvalidArgumentError names, or the error itself when it is something else. */
async function refusedField(call: Promise<unknown>): Promise<unknown> {
  const error = await call.then(
    () => "no error",
    (e: unknown) => e,
  );
  return error instanceof InvalidArgumentError ? error.violations[0]?.field : error;
}

/** Idempotency keys, the same for every AuthStore: Redis and memory alike. */
export function authStoreIdempotencyContract(name: string, makeStore: AuthStoreFactory): void {
  describe(`${name}: idempotency keys`, () => {
    let store: AuthStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });

    const newUser = (hashes: string[] = []) => {
      const username = unique("idem");
      return {
        username,
        email: `${username}@example.com`,
        displayName: "Idem",
        roles: ["engineer"],
        passwordHash: async () => {
          hashes.push(username);
          return HASH;
        },
      };
    };

    it("answers a retried CreateUser with the same user, creating it once and hashing once", async () => {
      const hashes: string[] = [];
      const input = newUser(hashes);
      const key = unique("k");
      const first = await keyed("CreateUser", key, input.username, () => store.createUser(input));
      const retry = await keyed("CreateUser", key, input.username, () => store.createUser(input));
      expect(retry).toEqual(first);
      expect(hashes).toEqual([input.username]);
      expect((await store.findByUsername(input.username))?.userId).toBe(first.userId);
      // Without the key the same request is a new create, refused.
      await expect(store.createUser(input)).rejects.toBeInstanceOf(UsernameTakenError);
    });

    it("creates one user for 30 concurrent CreateUser calls with one key, all answering its id", async () => {
      const input = newUser();
      const key = unique("k");
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => keyed("CreateUser", key, input.username, () => store.createUser(input))),
      );
      const ids = new Set(answers.map((user) => user.userId));
      expect(ids.size).toBe(1);
      expect((await store.findByUsername(input.username))?.userId).toBe(answers[0]!.userId);
      const listed = (await store.listUsers(0, 100_000)).users.filter((user) => user.username === input.username);
      expect(listed.map((user) => user.userId)).toEqual([answers[0]!.userId]);
    });

    it("answers a CreateUser retried while the first attempt is held mid-way only once the user exists, with the same user", async () => {
      const input = newUser();
      const key = unique("k");
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let calls = 0;
      // The first attempt's hashing waits at the gate; a retry's goes through.
      const held = {
        ...input,
        passwordHash: async () => {
          if (++calls === 1) await gate;
          return HASH;
        },
      };
      const first = keyed("CreateUser", key, input.username, () => store.createUser(held));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const retry = keyed("CreateUser", key, input.username, () => store.createUser(held)).then(async (user) => ({
        user,
        visible: await store.findByUsername(input.username),
      }));
      setTimeout(release, 200);
      const [answer, { user, visible }] = await Promise.all([first, retry]);
      expect(user).toEqual(answer);
      expect(visible?.userId).toBe(answer.userId);
    });

    it("answers a ChangePassword retried while the first attempt is held mid-way only once the password is changed, with one count", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      await store.issueToken(mintToken(user.userId).parsed, 60_000);
      const key = unique("k");
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let calls = 0;
      const prepare = async () => {
        if (++calls === 1) await gate;
        return `${HASH}changed`;
      };
      const first = keyed("ChangePassword", key, user.userId, () => store.changePassword(user.userId, prepare));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const retry = keyed("ChangePassword", key, user.userId, () => store.changePassword(user.userId, prepare)).then(async (count) => ({
        count,
        hash: (await store.getUser(user.userId))?.passwordHash,
      }));
      setTimeout(release, 200);
      const [count, answered] = await Promise.all([first, retry]);
      expect(answered).toEqual({ count, hash: `${HASH}changed` });
      expect(count).toBe(1);
    });

    it("refuses a CreateUser key reused with another request (naming idempotency_key) and creates nothing for it", async () => {
      const [a, b] = [newUser(), newUser()];
      const key = unique("k");
      await keyed("CreateUser", key, a.username, () => store.createUser(a));
      expect(await refusedField(keyed("CreateUser", key, b.username, () => store.createUser(b)))).toBe("idempotency_key");
      expect(await store.findByUsername(b.username)).toBeUndefined();
    });

    it("does not keep a refused CreateUser: the retry with its key acts once the username is free", async () => {
      const holder = await store.createUser({ ...newUser(), passwordHash: HASH });
      const input = { ...newUser(), username: holder.username };
      const key = unique("k");
      const request = `${input.username}/${input.email}`;
      await expect(keyed("CreateUser", key, request, () => store.createUser(input))).rejects.toBeInstanceOf(UsernameTakenError);
      await store.deleteUser(holder.userId);
      const created = await keyed("CreateUser", key, request, () => store.createUser(input));
      expect((await store.findByUsername(input.username))?.userId).toBe(created.userId);
    });

    it("answers a retried UpdateUser with the first answer, without acting again", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      const key = unique("k");
      const email = `${unique("moved")}@example.com`;
      const change = () => store.updateUser(user.userId, { displayName: "First", email });
      const first = await keyed("UpdateUser", key, "first+email", change);
      await store.updateUser(user.userId, { displayName: "Second" });
      const retry = await keyed("UpdateUser", key, "first+email", change);
      expect(retry).toEqual(first);
      expect(retry).toMatchObject({ displayName: "First", email });
      expect(await store.getUser(user.userId)).toMatchObject({ displayName: "Second", email });
      expect((await store.findByEmail(email))?.userId).toBe(user.userId);
      const other = keyed("UpdateUser", key, "other", () => store.updateUser(user.userId, { displayName: "Other" }));
      expect(await refusedField(other)).toBe("idempotency_key");
      expect((await store.getUser(user.userId))?.displayName).toBe("Second");
    });

    it("answers a retried ChangePassword with the first count, without checking, changing or revoking again", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      for (let i = 0; i < 3; i++) await store.issueToken(mintToken(user.userId).parsed, 60_000);
      const key = unique("k");
      let prepared = 0;
      const change = () =>
        store.changePassword(user.userId, async () => {
          prepared++;
          return `${HASH}new`;
        });
      expect(await keyed("ChangePassword", key, user.userId, change)).toBe(3);
      const later = mintToken(user.userId);
      await store.issueToken(later.parsed, 60_000);
      expect(await keyed("ChangePassword", key, user.userId, change)).toBe(3);
      expect(prepared).toBe(1);
      expect(await store.validateToken(later.parsed)).toBeDefined();
      expect((await store.getUser(user.userId))?.passwordHash).toBe(`${HASH}new`);
    });

    it("answers 10 concurrent ChangePassword calls with one key with one count", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      for (let i = 0; i < 4; i++) await store.issueToken(mintToken(user.userId).parsed, 60_000);
      const key = unique("k");
      const counts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          keyed("ChangePassword", key, user.userId, () => store.changePassword(user.userId, async () => `${HASH}${i}`)),
        ),
      );
      expect(new Set(counts)).toEqual(new Set([4]));
      expect((await store.getUser(user.userId))?.passwordHash).toMatch(/^\$argon2id.*\d$/);
    });

    it("answers a retried DeleteUser with the first count, not NOT_FOUND", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      await store.issueToken(mintToken(user.userId).parsed, 60_000);
      const key = unique("k");
      expect(await keyed("DeleteUser", key, user.userId, () => store.deleteUser(user.userId))).toBe(1);
      expect(await keyed("DeleteUser", key, user.userId, () => store.deleteUser(user.userId))).toBe(1);
      expect(await store.getUser(user.userId)).toBeUndefined();
      expect(await store.deleteUser(user.userId)).toBeUndefined();
    });

    it("answers a retried RevokeToken with the same token, not NOT_FOUND, by token and by id", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      const [a, b] = [mintToken(user.userId), mintToken(user.userId)];
      await store.issueToken(a.parsed, 60_000);
      await store.issueToken(b.parsed, 60_000);
      const [byToken, byId] = [unique("k"), unique("k")];
      const expected = (t: typeof a) => ({ tokenId: t.parsed.tokenId, userId: user.userId });
      expect(await keyed("RevokeToken", byToken, "by token", () => store.revokeToken(a.parsed))).toEqual(expected(a));
      expect(await keyed("RevokeToken", byToken, "by token", () => store.revokeToken(a.parsed))).toEqual(expected(a));
      expect(await keyed("RevokeToken", byId, b.parsed.tokenId, () => store.revokeTokenById(b.parsed.tokenId))).toEqual(expected(b));
      expect(await keyed("RevokeToken", byId, b.parsed.tokenId, () => store.revokeTokenById(b.parsed.tokenId))).toEqual(expected(b));
      expect(await refusedField(keyed("RevokeToken", byId, "by token", () => store.revokeToken(b.parsed)))).toBe("idempotency_key");
      expect(await store.revokeToken(a.parsed)).toBeUndefined();
    });

    it("answers a retried RevokeUserTokens with the first count, leaving tokens issued since alone", async () => {
      const user = await store.createUser({ ...newUser(), passwordHash: HASH });
      for (let i = 0; i < 2; i++) await store.issueToken(mintToken(user.userId).parsed, 60_000);
      const key = unique("k");
      expect(await keyed("RevokeUserTokens", key, user.userId, () => store.revokeUserTokens(user.userId))).toBe(2);
      const later = mintToken(user.userId);
      await store.issueToken(later.parsed, 60_000);
      expect(await keyed("RevokeUserTokens", key, user.userId, () => store.revokeUserTokens(user.userId))).toBe(2);
      expect(await store.validateToken(later.parsed)).toBeDefined();
    });
  });
}
