import { readFileSync } from "node:fs";
import { AuditService } from "@faultmaven/contract/audit";
import { AuthService } from "@faultmaven/contract/auth";
import { ReportService } from "@faultmaven/contract/report";
import { SessionService } from "@faultmaven/contract/session";

interface MethodConfig {
  name: { service: string; method: string }[];
  retryPolicy: { maxAttempts: number; retryableStatusCodes: string[] };
}

const config = JSON.parse(readFileSync("config/grpc-service-config.json", "utf8")) as {
  loadBalancingConfig: object[];
  methodConfig: MethodConfig[];
};

/** Writes that have no idempotency_key: a retry after the server ran them would run them twice. */
const NOT_RETRIED = ["faultmaven.auth.v1.AuthService/Login", "faultmaven.auth.v1.AuthService/ValidateToken"];

const methods = [SessionService, AuthService, ReportService, AuditService].flatMap((service) =>
  service.methods.map((method) => ({
    name: `${service.typeName}/${method.name}`,
    keyed: method.input.fields.some((field) => field.name === "idempotency_key"),
  })),
);
const retried = config.methodConfig.flatMap((entry) => entry.name.map(({ service, method }) => `${service}/${method}`));

/** config/grpc-service-config.json, the service config callers are told to use (docs/operations.md "Rolling restarts"). */
describe("config/grpc-service-config.json", () => {
  it("balances round_robin and retries UNAVAILABLE only, at most 4 attempts", () => {
    expect(config.loadBalancingConfig).toEqual([{ round_robin: {} }]);
    for (const entry of config.methodConfig) {
      expect(entry.retryPolicy.retryableStatusCodes).toEqual(["UNAVAILABLE"]);
      expect(entry.retryPolicy.maxAttempts).toBeLessThanOrEqual(4);
    }
  });

  it("retries every RPC of the services but Login and ValidateToken, each named once", () => {
    expect([...retried].sort()).toEqual(
      methods
        .map((m) => m.name)
        .filter((name) => !NOT_RETRIED.includes(name))
        .sort(),
    );
  });

  it("retries no write without an idempotency_key but TouchSession, which only slides an expiry", () => {
    const unkeyed = methods.filter((m) => !m.keyed && retried.includes(m.name)).map((m) => m.name.split("/")[1]);
    expect(unkeyed.filter((name) => !/^(Get|List|Find|Lookup|Search|Watch)/.test(name!))).toEqual(["TouchSession"]);
  });
});
