import { ConfigError, EnvReader } from "@faultmaven/config";
import { readRedisConfig } from "../src/config.js";

const read = (env: Record<string, string>) => readRedisConfig(new EnvReader(env));

describe("readRedisConfig", () => {
  it("defaults to localhost:6379, db 0, fail-fast timeouts", () => {
    expect(read({})).toMatchObject({
      mode: "standalone",
      host: "localhost",
      port: 6379,
      db: 0,
      tls: undefined,
      commandTimeoutMs: 1000,
      connectTimeoutMs: 2000,
    });
  });

  it("reads the seed's variables", () => {
    expect(
      read({ REDIS_HOST: "redis.faultmaven.svc.cluster.local", REDIS_PORT: "6380", REDIS_DB: "3", REDIS_PASSWORD: "s3cret" }),
    ).toMatchObject({
      host: "redis.faultmaven.svc.cluster.local",
      port: 6380,
      db: 3,
      password: "s3cret",
    });
  });

  it("takes a URL, with TLS for rediss://", () => {
    expect(read({ REDIS_URL: "rediss://app:p%40ss@cache.example.com:6390/2" })).toMatchObject({
      mode: "standalone",
      host: "cache.example.com",
      port: 6390,
      db: 2,
      username: "app",
      password: "p@ss",
      tls: {},
    });
  });

  it("selects Sentinel and Cluster modes", () => {
    expect(read({ REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2:26379", REDIS_SENTINEL_MASTER: "fm" })).toMatchObject({
      mode: "sentinel",
      sentinelMaster: "fm",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "10.0.0.2", port: 26379 },
      ],
    });
    expect(read({ REDIS_CLUSTER_NODES: "[::1]:7000,127.0.0.1:7001" }).clusterNodes).toEqual([
      { host: "::1", port: 7000 },
      { host: "127.0.0.1", port: 7001 },
    ]);
  });

  it.each([
    [{ REDIS_PORT: "0" }, "REDIS_PORT"],
    [{ REDIS_DB: "16" }, "REDIS_DB"],
    [{ REDIS_URL: "http://x" }, "REDIS_URL"],
    [{ REDIS_URL: "redis://x/99" }, "REDIS_URL"],
    [{ REDIS_SENTINELS: "nohost" }, "REDIS_SENTINELS"],
    [{ REDIS_SENTINELS: "a:1", REDIS_CLUSTER_NODES: "b:2" }, "REDIS_CLUSTER_NODES"],
    [{ REDIS_CLUSTER_NODES: "b:2", REDIS_DB: "1" }, "REDIS_DB"],
    [{ REDIS_TLS: "maybe" }, "REDIS_TLS"],
    [{ REDIS_TLS: "true", REDIS_TLS_CA_FILE: "/nonexistent/ca.pem" }, "REDIS_TLS_CA_FILE"],
    [{ REDIS_COMMAND_TIMEOUT_MS: "5" }, "REDIS_COMMAND_TIMEOUT_MS"],
    [{ REDIS_COMMAND_TIMEOUT_MS: "99" }, "REDIS_COMMAND_TIMEOUT_MS"],
  ])("refuses %j naming %s", (env, variable) => {
    let caught: unknown;
    try {
      read(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
  });
});
