import { connect, constants } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  makeGenericClientConstructor,
  status,
  type ServerInterceptor,
  type ServiceError,
  type ServiceDefinition,
} from "@grpc/grpc-js";
import { ConfigError, EnvReader } from "@faultmaven/config";
import { ErrorInfoSchema, RetryInfoSchema, StatusSchema } from "@faultmaven/contract/rpc";
import { StalledStreams, waitFor } from "@faultmaven/test-kit";
import { listenCapped } from "../src/capped-listener.js";
import { CallingConnections } from "../src/calling-connections.js";
import { ConnectionTable } from "../src/connection-table.js";
import { PingPolicy } from "../src/enforce-ping-policy.js";
import { guardTransport } from "../src/guard-transport.js";
import { InFlightCalls } from "../src/in-flight-calls.js";
import { ReceiveDeadlines } from "../src/receive-deadlines.js";
import { readTransportLimits } from "../src/transport-limits.js";

const raw = (b: Buffer) => b;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
});
const DEFINITION: ServiceDefinition = { echo: method("/test.Test/Echo"), hold: method("/test.Test/Hold") };
const Client = makeGenericClientConstructor(DEFINITION, "Test");
type Call = (request: Buffer, metadata: Metadata, options: object, callback: (error: ServiceError | null, reply?: Buffer) => void) => void;

/** An in-process grpc-js server with the kit's transport interceptor: Echo answers at once, Hold when released. */
async function startServer(options: {
  maxCalls?: number;
  maxReceivingBytes?: number;
  receiveTimeoutMs?: number;
  maxReceiveBytes?: number;
  pingPolicy?: PingPolicy;
  maxConnections?: number;
}) {
  const calls = new InFlightCalls(options.maxCalls ?? 100, options.maxReceivingBytes ?? 64 * 1024 * 1024);
  const held: (() => void)[] = [];
  let echoed = 0;
  const connections = new ConnectionTable(options.maxConnections ?? 100);
  let closedAtCap = 0;
  const interceptors: ServerInterceptor[] = [
    guardTransport({
      connections: new CallingConnections(connections, options.pingPolicy ?? new PingPolicy(0, 0)),
      calls,
      onCallLimit: () => {},
      deadlines: new ReceiveDeadlines(options.receiveTimeoutMs ?? 60_000),
      serverStreams: new Set(),
      // Echo's request is held to one message, as the kit's unary methods are.
      inputs: new Map([["/test.Test/Echo", ErrorInfoSchema]]),
    }),
  ];
  const server = new Server({ "grpc.max_receive_message_length": options.maxReceiveBytes ?? 4 * 1024 * 1024, interceptors });
  server.addService(DEFINITION, {
    echo: (call: { request: Buffer }, done: (e: null, r: Buffer) => void) => {
      echoed++;
      done(null, call.request);
    },
    hold: (call: { request: Buffer }, done: (e: null, r: Buffer) => void) => held.push(() => done(null, call.request)),
  });
  const listener = await listenCapped({
    server,
    credentials: ServerCredentials.createInsecure(),
    host: "127.0.0.1",
    port: 0,
    connections,
    onClosedAtCap: () => closedAtCap++,
  });
  const address = `127.0.0.1:${listener.port}`;
  const client = new Client(address, credentials.createInsecure()) as unknown as Record<"echo" | "hold", Call> & { close(): void };
  const invoke = (name: "echo" | "hold", body = Buffer.from("hi")) =>
    new Promise<Buffer>((resolve, reject) =>
      client[name](body, new Metadata(), { deadline: Date.now() + 5000 }, (error, reply) => (error ? reject(error) : resolve(reply!))),
    );
  return {
    calls,
    connections,
    closedAtCap: () => closedAtCap,
    echoed: () => echoed,
    address,
    invoke,
    releaseHeld: () => {
      for (const release of held.splice(0)) release();
    },
    async stop() {
      client.close();
      listener.close();
      server.forceShutdown();
      connections.destroyAll();
    },
  };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;
let server: TestServer | undefined;
let stalled: StalledStreams[] = [];
afterEach(async () => {
  for (const s of stalled) s.destroy();
  stalled = [];
  await server?.stop();
  server = undefined;
});

const stall = async (address: string, streams: number, declaredBytes: number, sentBytes: number, path = "/test.Test/Echo") => {
  const opened = await StalledStreams.open(address, { path, declaredBytes, sentBytes }, streams, 1);
  stalled.push(opened);
  return opened;
};

/** The ErrorInfo reason and whether a RetryInfo came with a failed call. */
function details(error: ServiceError) {
  const rpcStatus = fromBinary(StatusSchema, error.metadata.get("grpc-status-details-bin")[0] as Buffer);
  const errorInfo = rpcStatus.details.find((d) => d.typeUrl.endsWith(ErrorInfoSchema.typeName));
  return {
    reason: errorInfo && fromBinary(ErrorInfoSchema, errorInfo.value).reason,
    retryInfo: rpcStatus.details.some((d) => d.typeUrl.endsWith(RetryInfoSchema.typeName)),
  };
}

describe("request receive time limit", () => {
  it("answers a request not received whole in time DEADLINE_EXCEEDED, resets its stream, and frees its slot", async () => {
    server = await startServer({ receiveTimeoutMs: 300 });
    const started = Date.now();
    const streams = await stall(server.address, 3, 100, 10);
    await waitFor("the stalled streams to close", () => streams.open === 0, 5000);

    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(streams.outcomes).toEqual(Array(3).fill({ grpcStatus: status.DEADLINE_EXCEEDED, rstCode: 0 }));
    expect(server.calls.open).toBe(0);
    await expect(server.invoke("echo")).resolves.toEqual(Buffer.from("hi"));
  });
});

describe("in-flight call cap", () => {
  it("admits a new call by shedding the oldest call still receiving (RESOURCE_EXHAUSTED), and counts back to 0 when callers go away", async () => {
    server = await startServer({ maxCalls: 3 });
    const first = await stall(server.address, 1, 100, 10);
    await waitFor("the first stalled call", () => server!.calls.open === 1);
    const later = await stall(server.address, 2, 100, 10);
    await waitFor("all three slots taken", () => server!.calls.open === 3);

    await expect(server.invoke("echo")).resolves.toEqual(Buffer.from("hi"));

    await waitFor("the oldest stalled stream to close", () => first.open === 0);
    expect(first.outcomes).toEqual([{ grpcStatus: status.RESOURCE_EXHAUSTED, rstCode: 0 }]);
    expect(later.open).toBe(2);
    later.destroy();
    await waitFor("every slot to be released", () => server!.calls.open === 0);
  });

  it("refuses a call when every slot holds a call whose request is in: RESOURCE_EXHAUSTED, SERVER_BUSY, with RetryInfo", async () => {
    server = await startServer({ maxCalls: 2 });
    const held = [server.invoke("hold"), server.invoke("hold")];
    await waitFor("two calls held by their handler", () => server!.calls.open === 2);

    const refusal = (await server.invoke("echo").catch((e: unknown) => e)) as ServiceError;

    expect(refusal.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(details(refusal)).toEqual({ reason: "SERVER_BUSY", retryInfo: true });
    server.releaseHeld();
    await Promise.all(held);
    expect(server.calls.open).toBe(0);
  });

  it("never runs the handler of a refused call, though its request arrives whole after the refusal", async () => {
    server = await startServer({ maxCalls: 2 });
    // Settled either way, so that a failed expectation is reported rather than the held calls' cancellation.
    const held = [server.invoke("hold"), server.invoke("hold")].map((call) => call.catch((e: ServiceError) => e.code));
    await waitFor("two calls held by their handler", () => server!.calls.open === 2);

    const refusals = await Promise.all(Array.from({ length: 5 }, () => server!.invoke("echo").catch((e: ServiceError) => e.code)));
    await new Promise((resolve) => setTimeout(resolve, 200)); // time for the refused requests' bytes and half-closes to arrive

    expect(refusals).toEqual(Array(5).fill(status.RESOURCE_EXHAUSTED));
    expect(server.echoed()).toBe(0);
    server.releaseHeld();
    expect(await Promise.all(held)).toEqual([Buffer.from("hi"), Buffer.from("hi")]);
    await expect(server.invoke("echo")).resolves.toEqual(Buffer.from("hi"));
    expect(server.echoed()).toBe(1);
  });
});

describe("unfinished request bytes cap", () => {
  it("sheds the call whose unfinished request holds the most once the bytes pass the cap", async () => {
    server = await startServer({ maxReceivingBytes: 100_000 });
    const big = await stall(server.address, 1, 200_000, 80_000);
    await waitFor("the big request's bytes", () => server!.calls.receivingBytes >= 80_000);
    const small = await stall(server.address, 1, 200_000, 40_000);

    await waitFor("the big stream to close", () => big.open === 0);
    expect(big.outcomes).toEqual([{ grpcStatus: status.RESOURCE_EXHAUSTED, rstCode: 0 }]);
    expect(small.open).toBe(1);
    await waitFor("the small request's bytes alone", () => server!.calls.receivingBytes >= 40_000);
    expect(server.calls.receivingBytes).toBeLessThanOrEqual(100_000);
  });
});

describe("receive size limit", () => {
  it("answers a message announced over the limit RESOURCE_EXHAUSTED and resets its stream", async () => {
    server = await startServer({ maxReceiveBytes: 1024 });
    const streams = await stall(server.address, 2, 3_900_000, 1000);
    await waitFor("the streams to close", () => streams.open === 0);

    expect(streams.outcomes).toEqual(Array(2).fill({ grpcStatus: status.RESOURCE_EXHAUSTED, rstCode: 0 }));
    await waitFor("every slot to be released", () => server!.calls.open === 0);
  });
});

describe("keepalive enforcement", () => {
  /** A raw HTTP/2 connection that has made one Echo call (the policy watches connections from their first call). */
  async function callingConnection(address: string) {
    const session = connect(`http://${address}`).on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": "/test.Test/Echo", "content-type": "application/grpc", te: "trailers" });
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]));
    stream.resume();
    await new Promise((resolve) => stream.on("close", resolve));
    let goaway: { code: number; data: string } | undefined;
    session.on("goaway", (code, _last, data) => (goaway = { code, data: data?.toString() ?? "" }));
    const ping = () => new Promise<void>((resolve) => session.ping(() => resolve()) || resolve());
    return { session, ping, goaway: () => goaway };
  }

  it("closes a connection that pings more often than allowed past its strikes: GOAWAY ENHANCE_YOUR_CALM too_many_pings", async () => {
    server = await startServer({ pingPolicy: new PingPolicy(60_000, 2) });
    const client = await callingConnection(server.address);
    for (let i = 0; i < 4; i++) void client.ping();
    await waitFor("the connection to be closed", () => client.session.closed || client.session.destroyed);
    expect(client.goaway()).toEqual({ code: constants.NGHTTP2_ENHANCE_YOUR_CALM, data: "too_many_pings" });
  });

  it("keeps a connection whose pings respect the interval", async () => {
    server = await startServer({ pingPolicy: new PingPolicy(100, 0) });
    const client = await callingConnection(server.address);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      await client.ping();
    }
    expect(client.session.destroyed).toBe(false);
    expect(client.goaway()).toBeUndefined();
    client.session.destroy();
  });
});

describe("connection cap", () => {
  const open = (address: string) => connect(`http://${address}`).on("error", () => {});
  /** A raw connection with one Hold call in progress (its request sent whole, the handler holding it). */
  const holding = (address: string) => {
    const session = open(address);
    const stream = session.request({ ":method": "POST", ":path": "/test.Test/Hold", "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]));
    return session;
  };

  it("at the cap, a new connection takes the place of the connection unused longest", async () => {
    server = await startServer({ maxConnections: 3 });
    await server.invoke("echo"); // the client channel connects
    const oldest = open(server.address);
    await waitFor("the first idle connection", () => server!.connections.size === 2);
    const younger = open(server.address);
    await waitFor("the cap reached", () => server!.connections.size === 3);
    await expect(server.invoke("echo")).resolves.toEqual(Buffer.from("hi")); // the client channel is used last

    const newest = open(server.address);
    await waitFor("the oldest idle connection to be closed", () => oldest.closed || oldest.destroyed);
    expect(server.closedAtCap()).toBe(1);
    expect(server.connections.size).toBe(3);
    expect([younger.destroyed, newest.destroyed]).toEqual([false, false]);
    for (const session of [younger, newest]) session.destroy();
  });

  it("refuses a new connection when every connection has a call open", async () => {
    server = await startServer({ maxConnections: 2 });
    const busy = [holding(server.address), holding(server.address)];
    await waitFor("two calls held", () => server!.calls.open === 2);

    const refused = open(server.address);
    await waitFor("the new connection to be closed", () => refused.closed || refused.destroyed);
    expect(server.closedAtCap()).toBe(1);
    expect(busy.map((s) => s.destroyed)).toEqual([false, false]);
    server.releaseHeld();
    for (const session of busy) session.destroy();
  });
});

describe("readTransportLimits", () => {
  it("has safe defaults with the receive limit left to the service", () => {
    expect(readTransportLimits(new EnvReader({}))).toEqual({
      maxConnections: 1000,
      maxConcurrentStreams: 500,
      maxInFlightCalls: 2000,
      maxServerStreams: 1000,
      maxReceivingBytes: 64 * 1024 * 1024,
      requestReceiveTimeoutMs: 10_000,
      maxConnectionIdleMs: 300_000,
      maxConnectionAgeMs: 1_800_000,
      maxConnectionAgeGraceMs: 30_000,
      keepaliveTimeMs: 120_000,
      keepaliveTimeoutMs: 20_000,
      keepaliveMinPingIntervalMs: 10_000,
      keepaliveMaxPingStrikes: 2,
      maxReceiveBytes: undefined,
      maxSendBytes: 4 * 1024 * 1024,
    });
  });

  it.each([
    "GRPC_MAX_CONNECTIONS",
    "GRPC_MAX_IN_FLIGHT_CALLS",
    "GRPC_MAX_SERVER_STREAMS",
    "GRPC_REQUEST_RECEIVE_TIMEOUT_MS",
    "GRPC_MAX_RECEIVE_BYTES",
  ])("stops on a bad %s, naming it", (variable) => {
    expect(() => readTransportLimits(new EnvReader({ [variable]: "0" }))).toThrow(
      expect.objectContaining({ constructor: ConfigError, message: expect.stringContaining(variable) }),
    );
  });
});
