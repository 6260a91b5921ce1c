import { ConfigError, EnvReader } from "@faultmaven/config";
import { readRedisConfig } from "../src/config.js";
import { readReplicationWait } from "../src/replication-wait.js";

const read = (env: Record<string, string>) => readReplicationWait(new EnvReader(env), readRedisConfig(new EnvReader(env)));

describe("readReplicationWait", () => {
  it("is off by default (0 replicas, 500 ms)", () => {
    expect(read({})).toEqual({ replicas: 0, timeoutMs: 500 });
  });

  it("reads REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT_MS", () => {
    expect(read({ REDIS_WAIT_REPLICAS: "2", REDIS_WAIT_TIMEOUT_MS: "200" })).toEqual({ replicas: 2, timeoutMs: 200 });
  });

  it("refuses a timeout not below REDIS_COMMAND_TIMEOUT_MS, naming REDIS_WAIT_TIMEOUT_MS", () => {
    const attempt = () => read({ REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "1000", REDIS_COMMAND_TIMEOUT_MS: "1000" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/REDIS_WAIT_TIMEOUT_MS/);
  });

  it("refuses Cluster, naming REDIS_WAIT_REPLICAS", () => {
    const attempt = () => read({ REDIS_WAIT_REPLICAS: "1", REDIS_CLUSTER_NODES: "127.0.0.1:7000" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/REDIS_WAIT_REPLICAS/);
  });
});
