import { RedisServer } from "@faultmaven/test-kit";
import { bytesPerRecord } from "../../../bench/memory-per-record.js";
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
  it("costs at most 500 bytes per user (index keys and user-list entry included) and 400 per token of those users (one each)", async () => {
    // The bench's records: 15 users, then one Login of each (the token, its set entry, the login's write to its user).
    const password = "benchmark password";
    const user = await bytesPerRecord(redis.admin, (i) =>
      svc.client.createUser({ username: `mem_user_${i}`, email: `mem${i}@example.com`, password, roles: ["engineer"] }),
    );
    const token = await bytesPerRecord(redis.admin, (i) =>
      svc.client.login({ identifier: { case: "username", value: `mem_user_${i}` }, password }),
    );
    console.log(`auth-svc memory per record: user ${user} B, token ${token} B`);
    expect(user).toBeLessThanOrEqual(500);
    expect(token).toBeLessThanOrEqual(400);
  }, 60_000);
});
