import type { AuthStore } from "../src/domain/auth-store.js";
import { EmailTakenError, UsernameTakenError, UserNotFoundError } from "../src/domain/errors.js";
import { mintToken } from "../src/domain/token.js";

/** Makes a fresh store (it may share a backend with earlier ones; names are unique per test). */
export type AuthStoreFactory = () => Promise<AuthStore>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const unique = (prefix: string) => `${prefix}${process.pid}x${++counter}`;
/** The reasons of the rejected results, in order. */
const rejections = (results: PromiseSettledResult<unknown>[]): unknown[] =>
  results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

/** The behaviour every AuthStore must have: Redis and memory alike. */
export function authStoreContract(name: string, makeStore: AuthStoreFactory): void {
  describe(`${name}: AuthStore contract`, () => {
    let store: AuthStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });

    const newUser = (overrides: Partial<{ username: string; email: string; roles: string[] }> = {}) => {
      const name = unique("user");
      return {
        username: name,
        email: `${name}@example.com`,
        displayName: "Test User",
        roles: ["engineer"],
        passwordHash: HASH,
        ...overrides,
      };
    };

    it("creates a user and finds it by id, username and email", async () => {
      const input = newUser();
      const user = await store.createUser(input);
      expect(user.userId).toMatch(/^usr_[A-Za-z0-9_-]{22}$/);
      expect(user).toMatchObject({ username: input.username, email: input.email, roles: ["engineer"] });
      expect(user).not.toHaveProperty("passwordHash");
      expect(user.lastLogin).toBeUndefined();
      expect(await store.getUser(user.userId)).toMatchObject({ username: input.username, passwordHash: HASH });
      expect((await store.findByUsername(input.username))?.userId).toBe(user.userId);
      expect((await store.findByEmail(input.email))?.userId).toBe(user.userId);
      expect(await store.findByUsername(unique("nobody"))).toBeUndefined();
      expect(await store.getUser("usr_aaaaaaaaaaaaaaaaaaaaaa")).toBeUndefined();
    });

    it("refuses a taken username or email", async () => {
      const first = newUser();
      await store.createUser(first);
      await expect(store.createUser({ ...newUser(), username: first.username })).rejects.toBeInstanceOf(UsernameTakenError);
      await expect(store.createUser({ ...newUser(), email: first.email })).rejects.toBeInstanceOf(EmailTakenError);
      // The failed attempts left nothing that blocks their own free values.
      const retry = newUser();
      await expect(store.createUser(retry)).resolves.toMatchObject({ username: retry.username });
    });

    it("gives a username to exactly one of 30 concurrent creates", async () => {
      const username = unique("race");
      const results = await Promise.allSettled(Array.from({ length: 30 }, () => store.createUser({ ...newUser(), username })));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(rejections(results).filter((reason) => reason instanceof UsernameTakenError)).toHaveLength(29);
    });

    it("gives an email to exactly one of 30 concurrent creates", async () => {
      const email = `${unique("race")}@example.com`;
      const inputs = Array.from({ length: 30 }, () => ({ ...newUser(), email }));
      const results = await Promise.allSettled(inputs.map((input) => store.createUser(input)));
      const won = results.filter((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ username: string }>[];
      expect(won).toHaveLength(1);
      expect(rejections(results).filter((reason) => reason instanceof EmailTakenError)).toHaveLength(29);
      expect((await store.findByEmail(email))?.username).toBe(won[0]!.value.username);
      // The 29 losers released the usernames they had reserved on the way.
      const losers = inputs.map((input) => input.username).filter((username) => username !== won[0]!.value.username);
      const held = await Promise.all(losers.map((username) => store.findByUsername(username)));
      expect(losers).toHaveLength(29);
      expect(held.filter((user) => user !== undefined)).toEqual([]);
    });

    it("lists users in creation order, page by page", async () => {
      const first = await store.listUsers(0, 1000);
      const created = [await store.createUser(newUser()), await store.createUser(newUser()), await store.createUser(newUser())];
      const start = first.users.length;
      const page = await store.listUsers(start, 2);
      expect(page.users.map((u) => u.userId)).toEqual([created[0]!.userId, created[1]!.userId]);
      expect(page.nextOffset).toBe(start + 2);
      const rest = await store.listUsers(page.nextOffset!, 2);
      expect(rest.users.map((u) => u.userId)).toEqual([created[2]!.userId]);
      expect(rest.nextOffset).toBeUndefined();
    });

    it("updates profile, roles and email, freeing the old email", async () => {
      const input = newUser();
      const user = await store.createUser(input);
      const email = `${unique("new")}@example.com`;
      const updated = await store.updateUser(user.userId, { displayName: "Renamed", roles: ["admin", "user"], email });
      expect(updated).toMatchObject({ displayName: "Renamed", roles: ["admin", "user"], email });
      expect(updated.updatedAt).toBeGreaterThanOrEqual(user.updatedAt);
      expect((await store.findByEmail(email))?.userId).toBe(user.userId);
      expect(await store.findByEmail(input.email)).toBeUndefined();
      await expect(store.createUser({ ...newUser(), email: input.email })).resolves.toBeDefined();
      const other = await store.createUser(newUser());
      await expect(store.updateUser(other.userId, { email })).rejects.toBeInstanceOf(EmailTakenError);
      await expect(store.updateUser("usr_aaaaaaaaaaaaaaaaaaaaaa", { displayName: "x" })).rejects.toBeInstanceOf(UserNotFoundError);
    });

    it("gives an email to exactly one of two users changing to it concurrently", async () => {
      const [a, b] = [await store.createUser(newUser()), await store.createUser(newUser())];
      const email = `${unique("contested")}@example.com`;
      const results = await Promise.allSettled([store.updateUser(a.userId, { email }), store.updateUser(b.userId, { email })]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const holder = await store.findByEmail(email);
      expect([a.userId, b.userId]).toContain(holder?.userId);
    });

    it("keeps the email index true when one user changes email twice at once", async () => {
      const a = await store.createUser(newUser());
      const b = await store.createUser(newUser());
      const [e2, e3] = [`${unique("two")}@example.com`, `${unique("three")}@example.com`];
      await Promise.allSettled([store.updateUser(a.userId, { email: e2 }), store.updateUser(a.userId, { email: e3 })]);
      const final = (await store.getUser(a.userId))!.email;
      expect([e2, e3]).toContain(final);
      const free = final === e2 ? e3 : e2;
      // The index holds exactly A's final email: it points at A and is taken; the other one is free for B.
      expect((await store.findByEmail(final))?.userId).toBe(a.userId);
      await expect(store.updateUser(b.userId, { email: final })).rejects.toBeInstanceOf(EmailTakenError);
      expect(await store.findByEmail(free)).toBeUndefined();
      await expect(store.updateUser(b.userId, { email: free })).resolves.toMatchObject({ email: free });
    });

    it("records logins, and changes a password after the check, revoking every token", async () => {
      const user = await store.createUser(newUser());
      const after = await store.recordLogin(user.userId);
      expect(after.lastLogin).toBeGreaterThan(0);
      const tokens = [mintToken(user.userId), mintToken(user.userId)];
      for (const t of tokens) await store.issueToken(t.parsed, 60_000);
      const checked: string[] = [];
      const revoked = await store.changePassword(user.userId, async (current) => {
        checked.push(current.passwordHash);
        return `${HASH}x`;
      });
      expect(checked).toEqual([HASH]);
      expect(revoked).toBe(2);
      expect((await store.getUser(user.userId))?.passwordHash).toBe(`${HASH}x`);
      for (const t of tokens) expect(await store.validateToken(t.parsed)).toBeUndefined();
    });

    it("leaves the password and the user's tokens alone when the check refuses", async () => {
      const user = await store.createUser(newUser());
      const token = mintToken(user.userId);
      await store.issueToken(token.parsed, 60_000);
      const refusal = new Error("wrong password");
      await expect(store.changePassword(user.userId, () => Promise.reject(refusal))).rejects.toBe(refusal);
      expect((await store.getUser(user.userId))?.passwordHash).toBe(HASH);
      expect(await store.validateToken(token.parsed)).toBeDefined();
      await expect(store.changePassword("usr_aaaaaaaaaaaaaaaaaaaaaa", async () => HASH)).rejects.toBeInstanceOf(UserNotFoundError);
    });

    it("does not validate or list a staged token until it is committed, nor once revoked before its commit", async () => {
      const user = await store.createUser(newUser());
      const staged = mintToken(user.userId);
      await store.stageToken(staged.parsed, 60_000);
      expect(await store.validateToken(staged.parsed)).toBeUndefined();
      expect(await store.listUserTokens(user.userId)).toEqual([]);
      expect(await store.commitToken(staged.parsed, 60_000)).toBe(true);
      expect(await store.validateToken(staged.parsed)).toBeDefined();
      const revoked = mintToken(user.userId);
      await store.stageToken(revoked.parsed, 60_000);
      expect(await store.revokeUserTokens(user.userId)).toBe(2);
      expect(await store.commitToken(revoked.parsed, 60_000)).toBe(false);
      expect(await store.validateToken(revoked.parsed)).toBeUndefined();
      expect(await store.listUserTokens(user.userId)).toEqual([]);
    });

    it("deletes a user and frees its username and email", async () => {
      const input = newUser();
      const user = await store.createUser(input);
      expect(await store.deleteUser(user.userId)).toBe(0);
      expect(await store.deleteUser(user.userId)).toBeUndefined();
      expect(await store.getUser(user.userId)).toBeUndefined();
      expect(await store.findByUsername(input.username)).toBeUndefined();
      expect((await store.listUsers(0, 10_000)).users.map((u) => u.userId)).not.toContain(user.userId);
      await expect(store.createUser({ ...newUser(), username: input.username, email: input.email })).resolves.toBeDefined();
    });

    it("issues, validates (counting uses), lists and revokes tokens", async () => {
      const user = await store.createUser(newUser({ roles: ["admin"] }));
      const a = mintToken(user.userId);
      const b = mintToken(user.userId);
      const info = await store.issueToken(a.parsed, 60_000);
      expect(info).toMatchObject({ tokenId: a.parsed.tokenId, userId: user.userId, usageCount: 0 });
      await sleep(2);
      await store.issueToken(b.parsed, 60_000);

      const identity = await store.validateToken(a.parsed);
      expect(identity).toEqual({ userId: user.userId, roles: ["admin"], tokenId: a.parsed.tokenId, expiresAt: info.expiresAt });
      await store.validateToken(a.parsed);
      const listed = await store.listUserTokens(user.userId);
      expect(listed.map((t) => t.tokenId)).toEqual([b.parsed.tokenId, a.parsed.tokenId]);
      expect(listed[1]).toMatchObject({ usageCount: 2 });
      expect(listed[1]!.lastUsed).toBeGreaterThan(0);

      // Roles are read at validation time.
      await store.updateUser(user.userId, { roles: ["viewer"] });
      expect((await store.validateToken(a.parsed))?.roles).toEqual(["viewer"]);

      // A forged token with a real token id but another secret does nothing.
      const forged = { ...a.parsed, sha256: "0".repeat(64) };
      expect(await store.validateToken(forged)).toBeUndefined();
      expect(await store.revokeToken(forged)).toBeUndefined();

      expect(await store.revokeToken(a.parsed)).toEqual({ tokenId: a.parsed.tokenId, userId: user.userId });
      expect(await store.validateToken(a.parsed)).toBeUndefined();
      expect(await store.revokeToken(a.parsed)).toBeUndefined();
      expect(await store.revokeTokenById(b.parsed.tokenId)).toEqual({ tokenId: b.parsed.tokenId, userId: user.userId });
      expect(await store.validateToken(b.parsed)).toBeUndefined();
      expect(await store.listUserTokens(user.userId)).toEqual([]);
    });

    it("revokes all of a user's tokens at once", async () => {
      const user = await store.createUser(newUser());
      const other = await store.createUser(newUser());
      const tokens = Array.from({ length: 5 }, () => mintToken(user.userId));
      for (const t of tokens) await store.issueToken(t.parsed, 60_000);
      const kept = mintToken(other.userId);
      await store.issueToken(kept.parsed, 60_000);
      expect(await store.revokeUserTokens(user.userId)).toBe(5);
      for (const t of tokens) expect(await store.validateToken(t.parsed)).toBeUndefined();
      expect(await store.validateToken(kept.parsed)).toBeDefined();
      expect(await store.revokeUserTokens(user.userId)).toBe(0);
    });

    it("keeps a user's newest tokens up to the cap, revoking and unlisting the oldest", async () => {
      const user = await store.createUser(newUser());
      const tokens = Array.from({ length: 7 }, () => mintToken(user.userId));
      for (const t of tokens) {
        await store.issueToken(t.parsed, 60_000, 3);
        await sleep(2);
      }
      const valid = await Promise.all(tokens.map(async (t) => (await store.validateToken(t.parsed)) !== undefined));
      expect(valid).toEqual([false, false, false, false, true, true, true]);
      expect((await store.listUserTokens(user.userId)).map((t) => t.tokenId)).toEqual(
        tokens
          .slice(4)
          .reverse()
          .map((t) => t.parsed.tokenId),
      );
    });

    it("keeps no more than the cap of tokens valid when a user's logins run concurrently", async () => {
      const user = await store.createUser(newUser());
      const tokens = Array.from({ length: 30 }, () => mintToken(user.userId));
      await Promise.all(tokens.map((t) => store.issueToken(t.parsed, 60_000, 5)));
      const valid = await Promise.all(tokens.map(async (t) => (await store.validateToken(t.parsed)) !== undefined));
      expect(valid.filter(Boolean)).toHaveLength(5);
      expect(await store.listUserTokens(user.userId)).toHaveLength(5);
    });

    it("never leaves a valid token unlisted when tokens are issued during a revoke-all", async () => {
      const user = await store.createUser(newUser());
      const before = Array.from({ length: 5 }, () => mintToken(user.userId));
      for (const t of before) await store.issueToken(t.parsed, 60_000);
      const during = Array.from({ length: 10 }, () => mintToken(user.userId));
      await Promise.all([store.revokeUserTokens(user.userId), ...during.map((t) => store.issueToken(t.parsed, 60_000))]);
      for (const t of before) expect(await store.validateToken(t.parsed)).toBeUndefined();
      const listed = new Set((await store.listUserTokens(user.userId)).map((t) => t.tokenId));
      const valid = await Promise.all(during.map(async (t) => ((await store.validateToken(t.parsed)) ? t.parsed.tokenId : undefined)));
      // Each token issued during the revoke-all is either revoked or listed: none valid and unlisted.
      expect(valid.filter((id) => id !== undefined && !listed.has(id))).toEqual([]);
      await store.revokeUserTokens(user.userId);
      for (const t of [...before, ...during]) expect(await store.validateToken(t.parsed)).toBeUndefined();
    });

    it("fails validation once a token expires or its user is deleted", async () => {
      const user = await store.createUser(newUser());
      const short = mintToken(user.userId);
      await store.issueToken(short.parsed, 1500);
      expect(await store.validateToken(short.parsed)).toBeDefined();
      await sleep(1700);
      expect(await store.validateToken(short.parsed)).toBeUndefined();
      expect(await store.listUserTokens(user.userId)).toEqual([]);

      const long = mintToken(user.userId);
      await store.issueToken(long.parsed, 60_000);
      await store.deleteUser(user.userId);
      expect(await store.validateToken(long.parsed)).toBeUndefined();
    });
  });
}
