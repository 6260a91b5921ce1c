import { ConfigError, EnvReader } from "@faultmaven/config";
import { planStart } from "../scripts/start/plan.js";

const plan = (env: Record<string, string>) => planStart(new EnvReader(env));
const ports = (env: Record<string, string>) => plan(env).services.map((s) => [s.name, s.grpc.port, s.metrics.port]);

describe("the ports of pnpm start", () => {
  it("defaults to 50051-50053, 9451-9453 and ChromaDB on 8000", () => {
    expect(ports({})).toEqual([
      ["session-svc", 50051, 9451],
      ["auth-svc", 50052, 9452],
      ["report-svc", 50053, 9453],
    ]);
    expect(plan({}).chroma).toEqual({ port: 8000, variable: "CHROMA_PORT", what: "ChromaDB" });
  });

  it("takes each service's own variables", () => {
    expect(ports({ AUTH_GRPC_PORT: "6000", REPORT_METRICS_PORT: "7000" })).toEqual([
      ["session-svc", 50051, 9451],
      ["auth-svc", 6000, 9452],
      ["report-svc", 50053, 7000],
    ]);
  });

  it("reads GRPC_PORT=0 and METRICS_PORT=0 as free ports for every service, under the per-service variables", () => {
    expect(ports({ GRPC_PORT: "0", METRICS_PORT: "0", SESSION_GRPC_PORT: "6000" })).toEqual([
      ["session-svc", 6000, 0],
      ["auth-svc", 0, 0],
      ["report-svc", 0, 0],
    ]);
  });

  it("refuses one non-zero METRICS_PORT for three services, naming the per-service variables", () => {
    expect(() => plan({ METRICS_PORT: "9000" })).toThrow(
      new ConfigError(
        "METRICS_PORT",
        "pnpm start runs three services, so one port cannot serve them all: set SESSION_METRICS_PORT, AUTH_METRICS_PORT " +
          "and REPORT_METRICS_PORT instead (or METRICS_PORT=0 for free ports)",
      ),
    );
  });

  it("refuses two uses of one port, naming both variables", () => {
    expect(() => plan({ AUTH_METRICS_PORT: "50051" })).toThrow("AUTH_METRICS_PORT: port 50051 is also SESSION_GRPC_PORT");
  });

  it("runs no ChromaDB when CHROMA_URL is set", () => {
    expect(plan({ CHROMA_URL: "http://chroma:8000" }).chroma).toBeUndefined();
  });
});
