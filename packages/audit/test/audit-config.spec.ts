import { ConfigError, EnvReader } from "@faultmaven/config";
import { readAuditConfig } from "@faultmaven/audit";

describe("readAuditConfig", () => {
  it("defaults to a 100000-record stream and a 10000-record queue", () => {
    expect(readAuditConfig(new EnvReader({}))).toEqual({ streamMaxLen: 100_000, queueMax: 10_000 });
  });

  it("reads AUDIT_STREAM_MAX_LEN and AUDIT_QUEUE_MAX, and stops on a bad value naming the variable", () => {
    expect(readAuditConfig(new EnvReader({ AUDIT_STREAM_MAX_LEN: "500", AUDIT_QUEUE_MAX: "200" }))).toEqual({
      streamMaxLen: 500,
      queueMax: 200,
    });
    expect(() => readAuditConfig(new EnvReader({ AUDIT_STREAM_MAX_LEN: "10" }))).toThrow(ConfigError);
    expect(() => readAuditConfig(new EnvReader({ AUDIT_QUEUE_MAX: "many" }))).toThrow(/AUDIT_QUEUE_MAX/);
  });
});
