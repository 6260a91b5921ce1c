import { ReplyError } from "ioredis";
import { UnavailableError } from "@faultmaven/errors";
import { callRedis, isRedisUnavailable, neverReachedRedis } from "../src/call-redis.js";

describe("isRedisUnavailable", () => {
  it.each([
    new Error("Connection is closed."),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    new Error("Command timed out"),
    new Error("Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down"),
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" }),
    Object.assign(new Error("x"), { name: "MaxRetriesPerRequestError" }),
    new ReplyError("LOADING Redis is loading the dataset in memory"),
    new ReplyError("READONLY You can't write against a read only replica."),
    new ReplyError("NOREPLICAS Not enough good replicas to write."),
    new ReplyError("OOM command not allowed when used memory > 'maxmemory'."),
  ])("counts %s as an outage", (error) => {
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it.each([
    new ReplyError("ERR wrong number of arguments for 'hset' command"),
    new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value"),
    new TypeError("Cannot read properties of undefined"),
    "not an error",
  ])("does not count %s as an outage", (error) => {
    expect(isRedisUnavailable(error)).toBe(false);
  });
});

describe("callRedis", () => {
  it("turns an outage into UnavailableError and leaves bugs alone", async () => {
    await expect(callRedis(() => Promise.reject(new Error("Connection is closed.")))).rejects.toBeInstanceOf(UnavailableError);
    const bug = new TypeError("boom");
    await expect(callRedis(() => Promise.reject(bug))).rejects.toBe(bug);
    await expect(callRedis(() => Promise.resolve(42))).resolves.toBe(42);
  });

  it("drops the failed command's arguments from errors before they can be logged", async () => {
    const reply = Object.assign(new ReplyError("ERR something"), {
      command: { name: "hset", args: ["auth:user:x", "password_hash", "$argon2id$..."] },
    });
    const caught = await callRedis(() => Promise.reject(reply)).catch((error: unknown) => error);
    expect(caught).toBe(reply);
    expect("command" in (caught as object)).toBe(false);
  });
});

describe("neverReachedRedis", () => {
  it("is sure only when the command was never sent", () => {
    expect(
      neverReachedRedis(
        new UnavailableError("redis", { cause: new Error("Stream isn't writeable and enableOfflineQueue options is false") }),
      ),
    ).toBe(true);
    expect(neverReachedRedis(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(neverReachedRedis(new UnavailableError("redis", { cause: new Error("Command timed out") }))).toBe(false);
    expect(neverReachedRedis(new UnavailableError("redis", { cause: new Error("Connection is closed.") }))).toBe(false);
  });
});
