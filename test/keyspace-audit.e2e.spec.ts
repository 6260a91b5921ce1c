import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { RedisServer } from "@faultmaven/test-kit";
import { processEnvironment } from "@faultmaven/config";

const run = promisify(execFile);

/** The keyspace audit as an operator runs it: `pnpm keyspace-audit` against a Redis. */
let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
  const admin = redis.admin;
  await admin.hset("session:sess_abcdefghijklmnopqrstuvwx", "session_id", "sess_abcdefghijklmnopqrstuvwx");
  await admin.set("client_session:user_1:browser", "sess_abcdefghijklmnopqrstuvwx");
  await admin.rpush("auth:user_list", "usr_aaaaaaaaaaaaaaaaaaaaaa");
  await admin.zadd("case:{case_1}:reports:RCA_REPORT", -1, "rep_aaaaaaaaaaaaaaaaaaaaaa");
  await admin.set("case:case_1", "{}"); // deprecated
  await admin.sadd("user:user_1:cases", "case_1"); // deprecated
  await admin.sadd("case_index", "case_1"); // deprecated
  await admin.set("something:else", "x"); // unknown
  await admin.set("session:not-a-session", "x"); // unknown
});
afterAll(async () => {
  await redis?.close();
});

const audit = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "scripts/keyspace-audit.ts", ...args], {
    env: { ...processEnvironment(), REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port) },
  });

it("reports known, deprecated and unknown keys, and deletes nothing by default", async () => {
  const { stdout } = await audit();
  expect(stdout).toContain("scanned 9 keys");
  expect(stdout).toMatch(/1 {2}client_session:\{user_id\}:\{client_id\}/);
  expect(stdout).toMatch(/1 {2}case:\{\{case_id\}\}:reports:\{type\}/);
  expect(stdout).toContain("deprecated keys: 3");
  for (const key of ["case:case_1", "user:user_1:cases", "case_index", "something:else", "session:not-a-session"])
    expect(stdout).toContain(`  ${key}`);
  expect(stdout).toContain("unknown keys: 2");
  expect(stdout).toContain("dry run: nothing deleted");
  expect(await redis.admin.exists("case:case_1", "user:user_1:cases", "case_index")).toBe(3);
});

it("deletes only the deprecated keys when asked", async () => {
  const { stdout } = await audit("--delete-deprecated");
  expect(stdout).toContain("deleted 3 deprecated keys");
  expect(await redis.admin.exists("case:case_1", "user:user_1:cases", "case_index")).toBe(0);
  expect(await redis.admin.exists("something:else", "session:not-a-session", "auth:user_list", "case:{case_1}:reports:RCA_REPORT")).toBe(4);
});
