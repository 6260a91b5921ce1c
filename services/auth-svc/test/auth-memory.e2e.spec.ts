import { RedisServer } from "@faultmaven/test-kit";
import { bytesPerRecord, RECORDS } from "../../../bench/memory-per-record.js";
import { startAuthService } from "./auth-harness.js";

/** Redis memory per user and per token, counted as `pnpm bench` counts it, through a real auth-svc process. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startAuthService>>;

beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startAuthService({ ...redis.env });
});
afterAll(async () => {
  await svc?.stop();
  await redis?.close();
});

describe("auth-svc memory per record (MEMORY USAGE, as bench/memory-per-record.ts counts it)", () => {
  const password = "benchmark password";
  const createUser = (name: string) =>
    svc.client.createUser({ username: name, email: `${name}@example.com`, password, roles: ["engineer"] });

  it("costs at most 500 bytes per user, its index keys and user-list entry included", async () => {
    const user = await bytesPerRecord(redis.admin, (i) => createUser(`mem_user_${i}`));
    console.log(`auth-svc memory per user: ${user} B`);
    expect(user).toBeLessThanOrEqual(500);
  }, 60_000);

  it("costs at most 400 bytes per token (one per user: its hash, its user-token-set entry, the login's write to the user)", async () => {
    for (let i = 0; i < RECORDS; i++) await createUser(`mem_login_${i}`);
    const token = await bytesPerRecord(redis.admin, (i) =>
      svc.client.login({ identifier: { case: "username", value: `mem_login_${i}` }, password }),
    );
    console.log(`auth-svc memory per token: ${token} B`);
    expect(token).toBeLessThanOrEqual(400);
  }, 60_000);
});
