import { DeadlineExceededError, InvalidArgumentError, UnavailableError } from "@faultmaven/errors";
import { causeChain } from "@faultmaven/grpc-kit";

describe("causeChain", () => {
  it("names the store, then each cause down the chain", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    const error = new UnavailableError("chromadb", { cause: new TypeError("fetch failed", { cause: refused }) });
    expect(causeChain(error)).toBe("chromadb: fetch failed: connect ECONNREFUSED 127.0.0.1:6379");
  });

  it("adds an errno code missing from the message, and the errors of an AggregateError", () => {
    const v4 = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8000"), { code: "ECONNREFUSED" });
    const v6 = Object.assign(new Error("connect ECONNREFUSED ::1:8000"), { code: "ECONNREFUSED" });
    const aggregate = Object.assign(new AggregateError([v4, v6], ""), { code: "ECONNREFUSED" });
    expect(causeChain(new UnavailableError("redis", { cause: aggregate }))).toBe(
      "redis: AggregateError (ECONNREFUSED) [connect ECONNREFUSED 127.0.0.1:8000; connect ECONNREFUSED ::1:8000]",
    );
  });

  it("is undefined when nothing lies beneath the error", () => {
    expect(causeChain(new InvalidArgumentError("case_id", "is required"))).toBeUndefined();
    expect(causeChain(new UnavailableError("redis"))).toBeUndefined();
  });

  it("says which store step a deadline stopped", () => {
    expect(causeChain(new DeadlineExceededError({ cause: new Error("redis GET had no reply when the call ended") }))).toBe(
      "redis GET had no reply when the call ended",
    );
  });

  it("never reads error properties such as the command ioredis attaches", () => {
    const withCommand = Object.assign(new Error("ERR wrong"), {
      command: { name: "hset", args: ["user:1", "password_hash", "$argon2id$secret"] },
    });
    expect(causeChain(new UnavailableError("redis", { cause: withCommand }))).not.toContain("argon2id");
  });
});
