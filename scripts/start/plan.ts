import { ConfigError, type EnvReader } from "@faultmaven/config";

/** One port `pnpm start` will ask for, and the variable that moves it. */
export interface PlannedPort {
  readonly port: number;
  readonly variable: string;
  readonly what: string;
}

/** One service `pnpm start` runs, with the ports handed to it as GRPC_PORT and METRICS_PORT. */
export interface PlannedService {
  readonly name: string;
  readonly entry: string;
  readonly grpc: PlannedPort;
  readonly metrics: PlannedPort;
}

/** What `pnpm start` runs: the embedded ChromaDB (unless CHROMA_URL is set) and the services. */
export interface StartPlan {
  readonly chroma: PlannedPort | undefined;
  readonly services: readonly PlannedService[];
  /** Where the services listen (GRPC_HOST, default 0.0.0.0): busy-port checks bind there. */
  readonly host: string;
}

/** The suite's services with their variable prefix and default ports (DESIGN.md §4). */
export const SUITE = [
  { name: "session-svc", prefix: "SESSION", grpcPort: 50051, metricsPort: 9451 },
  { name: "auth-svc", prefix: "AUTH", grpcPort: 50052, metricsPort: 9452 },
  { name: "report-svc", prefix: "REPORT", grpcPort: 50053, metricsPort: 9453 },
] as const;

/**
 * Reads the ports of `pnpm start`. Each service has its own variables
 * (SESSION_GRPC_PORT, AUTH_GRPC_PORT, REPORT_GRPC_PORT, and *_METRICS_PORT;
 * defaults 50051-50053 and 9451-9453). GRPC_PORT and METRICS_PORT name one
 * service's port, so here only `0` is accepted (every service picks a free
 * port); any other value stops the start with a message naming the
 * per-service variables, instead of three services fighting over one port.
 */
export function planStart(env: EnvReader): StartPlan {
  const anyGrpc = sharedZero(env, "GRPC_PORT");
  const anyMetrics = sharedZero(env, "METRICS_PORT");
  const services = SUITE.map((s) => ({
    name: s.name,
    entry: `services/${s.name}/src/main.ts`,
    grpc: port(env, `${s.prefix}_GRPC_PORT`, anyGrpc ? 0 : s.grpcPort, `${s.name} gRPC`),
    metrics: port(env, `${s.prefix}_METRICS_PORT`, anyMetrics ? 0 : s.metricsPort, `${s.name} metrics`),
  }));
  const chroma = env.string("CHROMA_URL") ? undefined : port(env, "CHROMA_PORT", 8000, "ChromaDB");
  const all = [...(chroma ? [chroma] : []), ...services.flatMap((s) => [s.grpc, s.metrics])].filter((p) => p.port !== 0);
  for (const [i, p] of all.entries()) {
    const clash = all.slice(0, i).find((other) => other.port === p.port);
    if (clash) throw new ConfigError(p.variable, `port ${p.port} is also ${clash.variable}; give each its own port`);
  }
  return { chroma, services, host: env.string("GRPC_HOST") ?? "0.0.0.0" };
}

function port(env: EnvReader, variable: string, fallback: number, what: string): PlannedPort {
  return { port: env.integer(variable, fallback, 0, 65535), variable, what };
}

function sharedZero(env: EnvReader, variable: string): boolean {
  const value = env.string(variable);
  if (value === undefined) return false;
  if (value === "0") return true;
  const prefix = variable.replace("_PORT", "");
  throw new ConfigError(
    variable,
    `pnpm start runs three services, so one port cannot serve them all: set SESSION_${prefix}_PORT, AUTH_${prefix}_PORT ` +
      `and REPORT_${prefix}_PORT instead (or ${variable}=0 for free ports)`,
  );
}
