import { fileURLToPath } from "node:url";
import { fromBinary, type DescService } from "@bufbuild/protobuf";
import { AuditService } from "@faultmaven/contract/audit";
import { AuthService } from "@faultmaven/contract/auth";
import { ReportService } from "@faultmaven/contract/report";
import { SessionService } from "@faultmaven/contract/session";
import { ChromaServer, RedisServer, ServiceProcess, waitFor } from "@faultmaven/test-kit";
import { fuzzCases, seededRandom, type FuzzCase } from "./malformed-requests.js";
import { RawGrpcClient } from "./raw-grpc-call.js";

const main = (name: string) => fileURLToPath(new URL(`../services/${name}/src/main.ts`, import.meta.url));

const INVALID_ARGUMENT = 3;
/** Codes a caller must never get from a method that exists. */
const FORBIDDEN = new Map([
  [2, "UNKNOWN"],
  [12, "UNIMPLEMENTED"],
  [13, "INTERNAL"],
]);

/** A case the server cannot turn into exactly one request message: bytes protobuf-es rejects, or a frame-level fault. */
function undecodable(method: DescService["methods"][number], fuzz: FuzzCase): boolean {
  if (fuzz.protobuf === undefined) return true;
  try {
    fromBinary(method.input, fuzz.protobuf);
    return false;
  } catch {
    return true;
  }
}

interface Outcome {
  readonly call: string;
  readonly undecodable: boolean;
  readonly code: number;
  readonly reason: string | undefined;
}

/** Sends every case to every method of `service`, 16 calls at a time. */
async function fuzz(address: string, service: DescService, seed: number): Promise<Outcome[]> {
  const random = seededRandom(seed);
  const calls = service.methods.flatMap((method) =>
    fuzzCases(method.input, random).map((c) => ({ method, fuzz: c, path: `/${service.typeName}/${method.name}` })),
  );
  const client = await RawGrpcClient.connect(address);
  const outcomes: Outcome[] = [];
  try {
    for (let i = 0; i < calls.length; i += 16) {
      const batch = calls.slice(i, i + 16);
      const answers = await Promise.all(batch.map(({ path, fuzz: c }) => client.call(path, c.data, c.open)));
      batch.forEach(({ method, fuzz: c }, j) => {
        outcomes.push({ call: `${method.name}: ${c.kind}: ${c.label}`, undecodable: undecodable(method, c), ...answers[j]! });
      });
    }
  } finally {
    client.close();
  }
  return outcomes;
}

const rpcLinesFor = (svc: ServiceProcess, reason: string) => svc.logs.filter((l) => l.msg === "rpc" && l.reason === reason);

let redis: RedisServer;
let chroma: ChromaServer;
const services: { name: string; service: DescService; process: ServiceProcess }[] = [];

beforeAll(async () => {
  [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
  const [session, auth, report] = await Promise.all([
    ServiceProcess.start(main("session-svc"), redis.env),
    ServiceProcess.start(main("auth-svc"), redis.env),
    ServiceProcess.start(main("report-svc"), { ...redis.env, ...chroma.env, CHROMA_TIMEOUT_MS: "10000" }),
  ]);
  services.push(
    { name: "session-svc", service: SessionService, process: session },
    { name: "auth-svc", service: AuthService, process: auth },
    { name: "report-svc", service: ReportService, process: report },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.process.stop()));
  await Promise.all([redis?.close(), chroma?.close()]);
});

describe.each([
  ["session-svc", 1],
  ["auth-svc", 2],
  ["report-svc", 3],
])("%s answers fuzzed requests to every method", (name, seed) => {
  it("with 0 INTERNAL / UNKNOWN / UNIMPLEMENTED, and INVALID_ARGUMENT (UNDECODABLE_REQUEST) for every undecodable one, each logged", async () => {
    const { service, process } = services.find((s) => s.name === name)!;
    const outcomes = await fuzz(process.address, service, seed);

    expect(outcomes.filter((o) => FORBIDDEN.has(o.code)).map((o) => `${o.call} -> ${FORBIDDEN.get(o.code)}`)).toEqual([]);
    const rejected = outcomes.filter((o) => o.undecodable);
    expect(
      rejected
        .filter((o) => o.code !== INVALID_ARGUMENT || o.reason !== "UNDECODABLE_REQUEST")
        .map((o) => `${o.call} -> ${o.code} ${o.reason}`),
    ).toEqual([]);
    // Every kind of fault was really sent (and really undecodable), to every method.
    expect(outcomes.length).toBeGreaterThan(150);
    for (const kind of ["random", "wrong-wire-type", "invalid-utf8", "truncated", "deep-groups", "frame"]) {
      expect(rejected.filter((o) => o.call.includes(`: ${kind}: `)).length).toBeGreaterThan(0);
    }
    for (const method of service.methods) {
      expect(rejected.filter((o) => o.call.startsWith(`${method.name}: frame: `))).toHaveLength(5);
    }
    // The pipeline answered them: one "rpc" log line each.
    await waitFor("rpc lines", () => rpcLinesFor(process, "UNDECODABLE_REQUEST").length >= rejected.length);
    expect(rpcLinesFor(process, "UNDECODABLE_REQUEST")).toHaveLength(rejected.length);
    expect(rpcLinesFor(process, "UNDECODABLE_REQUEST").every((l) => l.code === "INVALID_ARGUMENT")).toBe(true);
  }, 30_000);
});

describe("AuditService (every service serves it; fuzzed on auth-svc)", () => {
  it("answers fuzzed ListAuditRecords with 0 INTERNAL / UNKNOWN / UNIMPLEMENTED, and INVALID_ARGUMENT for every undecodable one", async () => {
    const { process } = services.find((s) => s.name === "auth-svc")!;
    const outcomes = await fuzz(process.address, AuditService, 4);
    expect(outcomes.length).toBeGreaterThan(20);
    expect(outcomes.filter((o) => FORBIDDEN.has(o.code)).map((o) => `${o.call} -> ${FORBIDDEN.get(o.code)}`)).toEqual([]);
    expect(
      outcomes
        .filter((o) => o.undecodable && (o.code !== INVALID_ARGUMENT || o.reason !== "UNDECODABLE_REQUEST"))
        .map((o) => `${o.call} -> ${o.code} ${o.reason}`),
    ).toEqual([]);
  }, 30_000);
});
