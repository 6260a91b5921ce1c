import { setTimeout as sleep } from "node:timers/promises";
import { status, type ServiceError as GrpcError } from "@grpc/grpc-js";
import { CancelledError, DeadlineExceededError, NotFoundError } from "@faultmaven/errors";
import { decodeStatusDetails, ServerShuttingDownError } from "@faultmaven/grpc-kit";
import { bufCurl, listMethods, waitFor } from "@faultmaven/test-kit";
import { SESSION_ID, startStreamingServer } from "./streaming-test-service.js";

type TestServer = Awaited<ReturnType<typeof startStreamingServer>>;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const WATCH = "grpc_kit_test.v1.StreamingTestService/Watch";

/** Reads a stream to its end: the messages' reasons, and the error it ended with (undefined for OK). */
async function collect(messages: AsyncIterable<{ reason: string }>) {
  const reasons: string[] = [];
  try {
    for await (const message of messages) reasons.push(message.reason);
    return { reasons, error: undefined };
  } catch (error) {
    return { reasons, error: error as GrpcError };
  }
}

/** Resolves once `signal` aborts. */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

describe("server-streaming calls", () => {
  it("deliver the handler's messages in order, end OK, and are logged and counted once", async () => {
    server = await startStreamingServer();
    server.setWatch(async (_context, stream) => {
      for (let i = 0; i < 100; i++) await stream.send({ reason: `m${i}` });
    });
    const { reasons, error } = await collect(server.client.watch({ sessionId: SESSION_ID }));
    expect(error).toBeUndefined();
    expect(reasons).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(server.rpcLines()).toEqual([
      expect.objectContaining({
        level: 30,
        method: WATCH,
        code: "OK",
        messages_sent: 100,
        peer: expect.stringContaining("127.0.0.1"),
        duration_ms: expect.any(Number),
      }),
    ]);
    expect(await server.metric("grpc_server_streams_started_total", { grpc_method: "Watch" })).toBe(1);
    expect(await server.metric("grpc_server_msg_sent_total", { grpc_method: "Watch" })).toBe(100);
    expect(await server.metric("grpc_server_handled_total", { grpc_method: "Watch", grpc_code: "OK" })).toBe(1);
    expect(await server.metric("grpc_server_streams_open")).toBe(0);
  });

  it("end with the mapped status and details when the handler throws after some messages", async () => {
    server = await startStreamingServer();
    server.setWatch(async (_context, stream) => {
      for (let i = 0; i < 3; i++) await stream.send({ reason: `m${i}` });
      throw new NotFoundError("session", SESSION_ID);
    });
    const { reasons, error } = await collect(server.client.watch({ sessionId: SESSION_ID }));
    expect(reasons).toEqual(["m0", "m1", "m2"]);
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toBe("session not found");
    expect(decodeStatusDetails(error?.metadata).reason).toBe("SESSION_NOT_FOUND");
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "NOT_FOUND", reason: "SESSION_NOT_FOUND", messages_sent: 3 })]);
    expect(await server.metric("grpc_server_handled_total", { grpc_method: "Watch", grpc_code: "NOT_FOUND" })).toBe(1);
  });

  it("answer an invalid request INVALID_ARGUMENT naming the field, before the handler runs", async () => {
    server = await startStreamingServer();
    let ran = false;
    server.setWatch(async () => {
      ran = true;
    });
    const { reasons, error } = await collect(server.client.watch({ sessionId: "not-a-session" }));
    expect(reasons).toEqual([]);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(error?.metadata).fields).toEqual(["session_id"]);
    expect(ran).toBe(false);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "INVALID_ARGUMENT", messages_sent: 0 })]);
  });

  it("answer a handler's bug INTERNAL without its message, logging it with its stack", async () => {
    server = await startStreamingServer();
    server.setWatch(async (_context, stream) => {
      await stream.send({ reason: "m0" });
      throw new TypeError("the secret bug");
    });
    const { reasons, error } = await collect(server.client.watch({ sessionId: SESSION_ID }));
    expect(reasons).toEqual(["m0"]);
    expect(error?.code).toBe(status.INTERNAL);
    expect(error?.details).toBe("internal error");
    const [line] = server.rpcLines();
    expect(line).toMatchObject({ level: 50, code: "INTERNAL", messages_sent: 1 });
    expect((line!.err as { stack: string }).stack).toContain("the secret bug");
  });

  it("end DEADLINE_EXCEEDED at the caller's deadline, aborting the handler's signal and rejecting its sends", async () => {
    server = await startStreamingServer();
    const seen: { reason?: unknown; send?: unknown } = {};
    server.setWatch(async (context, stream) => {
      await stream.send({ reason: "first" });
      await aborted(context.signal);
      seen.reason = context.signal.reason;
      seen.send = await stream.send({ reason: "too late" }).catch((error: unknown) => error);
      throw seen.send;
    });
    const started = Date.now();
    const { reasons, error } = await collect(server.client.watch({ sessionId: SESSION_ID }, { timeoutMs: 300 }));
    expect(reasons).toEqual(["first"]);
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor("the stream's rpc line", () => server!.rpcLines().length === 1);
    expect(seen.reason).toBeInstanceOf(DeadlineExceededError);
    expect(seen.send).toBeInstanceOf(DeadlineExceededError);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "DEADLINE_EXCEEDED", messages_sent: 1 })]);
    expect(await server.metric("grpc_server_streams_open")).toBe(0);
  });

  it("stop when the caller leaves: the handler's signal aborts CANCELLED and the stream's place is freed", async () => {
    server = await startStreamingServer();
    let reason: unknown;
    server.setWatch(async (context, stream) => {
      context.signal.addEventListener("abort", () => (reason = context.signal.reason), { once: true });
      for (let i = 0; ; i++) {
        await stream.send({ reason: `m${i}` });
        await sleep(5);
      }
    });
    const reasons: string[] = [];
    for await (const message of server.client.watch({ sessionId: SESSION_ID })) {
      reasons.push(message.reason);
      if (reasons.length === 3) break;
    }
    expect(reasons).toEqual(["m0", "m1", "m2"]);
    await waitFor("the stream's rpc line", () => server!.rpcLines().length === 1);
    expect(reason).toBeInstanceOf(CancelledError);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "CANCELLED", level: 30 })]);
    expect(server.streams.size).toBe(0);
    expect(await server.metric("grpc_server_streams_open")).toBe(0);
  });

  it("cancel when the reader's AbortSignal aborts", async () => {
    server = await startStreamingServer();
    server.setWatch(async (context, stream) => {
      await stream.send({ reason: "m0" });
      await aborted(context.signal);
      throw context.signal.reason;
    });
    const controller = new AbortController();
    const reasons: string[] = [];
    const read = collect(
      (async function* () {
        for await (const message of server!.client.watch({ sessionId: SESSION_ID }, { signal: controller.signal })) {
          reasons.push(message.reason);
          controller.abort();
          yield message;
        }
      })(),
    );
    const { error } = await read;
    expect(reasons).toEqual(["m0"]);
    expect(error?.code).toBe(status.CANCELLED);
    await waitFor("the stream's place to be freed", () => server!.streams.size === 0 && server!.rpcLines().length === 1);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "CANCELLED" })]);
  });

  it("make a handler's send wait while the caller does not read, instead of buffering for it", async () => {
    server = await startStreamingServer();
    const TOTAL = 2000;
    const filler = "x".repeat(16 * 1024);
    let accepted = 0;
    server.setWatch(async (_context, stream) => {
      for (let i = 0; i < TOTAL; i++) {
        await stream.send({ reason: `m${i}`, domain: filler });
        accepted = i + 1;
      }
    });
    const reader = server.client.watch({ sessionId: SESSION_ID })[Symbol.asyncIterator]();
    expect((await reader.next()).value?.reason).toBe("m0");
    // The reader stops here; the handler gets as far as flow control and the buffers on the way let it, then waits.
    let previous = -1;
    await waitFor(
      "the handler to stall",
      () => {
        const stalled = accepted === previous;
        previous = accepted;
        return stalled;
      },
      10_000,
      300,
    );
    await sleep(500);
    expect(accepted).toBe(previous);
    // About 20 of 2000 here: what the client's read buffer and the HTTP/2 windows hold, under 1 MiB of the 32.
    expect(accepted).toBeLessThan(64);
    const reasons = ["m0"];
    for (let next = await reader.next(); !next.done; next = await reader.next()) reasons.push(next.value.reason);
    expect(reasons).toEqual(Array.from({ length: TOTAL }, (_, i) => `m${i}`));
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "OK", messages_sent: TOTAL })]);
  });

  it("stop a handler that does not await its sends at 16 unaccepted ones, answering INTERNAL", async () => {
    server = await startStreamingServer();
    server.setWatch(async (_context, stream) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => stream.send({ reason: `m${i}` })));
    });
    const { error } = await collect(server.client.watch({ sessionId: SESSION_ID }));
    expect(error?.code).toBe(status.INTERNAL);
    const [line] = server.rpcLines();
    expect(line).toMatchObject({ code: "INTERNAL", err: expect.objectContaining({ message: expect.stringContaining("await each send") }) });
  });

  it("are refused RESOURCE_EXHAUSTED beyond GRPC_MAX_SERVER_STREAMS, while unary calls go on beside them", async () => {
    server = await startStreamingServer({ GRPC_MAX_SERVER_STREAMS: "2", GRPC_MAX_IN_FLIGHT_CALLS: "2" });
    server.setWatch(async (context, stream) => {
      await stream.send({ reason: "open" });
      await aborted(context.signal);
      throw context.signal.reason;
    });
    const controller = new AbortController();
    const open = [0, 1].map(() => server!.client.watch({ sessionId: SESSION_ID }, { signal: controller.signal })[Symbol.asyncIterator]());
    for (const reader of open) expect((await reader.next()).value?.reason).toBe("open");
    const { reasons, error } = await collect(server.client.watch({ sessionId: SESSION_ID }));
    expect(reasons).toEqual([]);
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toContain("GRPC_MAX_SERVER_STREAMS");
    expect(decodeStatusDetails(error?.metadata)).toMatchObject({ reason: "SERVER_BUSY" });
    // Two streams open and a cap of two in-flight calls: unary calls still get slots.
    const replies = await Promise.all([0, 1].map(() => server!.client.get({ sessionId: SESSION_ID })));
    expect(replies.map((r) => r.reason)).toEqual([SESSION_ID, SESSION_ID]);
    expect(await server.metric("grpc_server_transport_limit_hits_total", { limit: "server_streams" })).toBe(1);
    expect(await server.metric("grpc_server_streams_open")).toBe(2);
    controller.abort();
    await Promise.all(open.map((reader) => reader.next().catch(() => undefined)));
    await waitFor("both streams to be freed", () => server!.streams.size === 0);
  });

  it("are all ended UNAVAILABLE (SERVER_SHUTTING_DOWN) at once by a graceful shutdown, well within the grace", async () => {
    server = await startStreamingServer({ GRPC_SHUTDOWN_GRACE_MS: "10000" });
    const reasons: unknown[] = [];
    server.setWatch(async (context, stream) => {
      await stream.send({ reason: "open" });
      await aborted(context.signal);
      reasons.push(context.signal.reason);
      await stream.send({ reason: "after the end" });
    });
    const readers = [0, 1, 2].map(() => server!.client.watch({ sessionId: SESSION_ID })[Symbol.asyncIterator]());
    for (const reader of readers) expect((await reader.next()).value?.reason).toBe("open");
    const started = Date.now();
    const stopped = server.running.shutdown("test");
    const ends = await Promise.all(
      readers.map((reader) =>
        reader.next().then(
          () => undefined,
          (error: unknown) => error as GrpcError,
        ),
      ),
    );
    await stopped;
    expect(Date.now() - started).toBeLessThan(2000);
    for (const end of ends) {
      expect(end?.code).toBe(status.UNAVAILABLE);
      expect(decodeStatusDetails(end?.metadata).reason).toBe("SERVER_SHUTTING_DOWN");
    }
    expect(reasons).toEqual([0, 1, 2].map(() => expect.any(ServerShuttingDownError)));
    expect(server.rpcLines()).toEqual(
      [0, 1, 2].map(() => expect.objectContaining({ level: 30, code: "UNAVAILABLE", reason: "SERVER_SHUTTING_DOWN", messages_sent: 1 })),
    );
    expect(server.lines).toContainEqual(expect.objectContaining({ msg: "ended the open streams UNAVAILABLE", streams: 3 }));
  });

  it("end UNAVAILABLE at shutdown, reset a second later, when their caller stopped reading", async () => {
    server = await startStreamingServer({ GRPC_SHUTDOWN_GRACE_MS: "10000" });
    const filler = "x".repeat(16 * 1024);
    let accepted = 0;
    server.setWatch(async (context, stream) => {
      for (let i = 0; !context.signal.aborted; i++) {
        await stream.send({ reason: `m${i}`, domain: filler });
        accepted = i + 1;
      }
    });
    const reader = server.client.watch({ sessionId: SESSION_ID })[Symbol.asyncIterator]();
    await reader.next();
    let previous = -1;
    await waitFor(
      "the handler to stall",
      () => {
        const stalled = accepted === previous;
        previous = accepted;
        return stalled;
      },
      10_000,
      300,
    );
    const started = Date.now();
    await server.running.shutdown("test");
    // The status is queued behind unread messages; the reset a second later frees the connection, well within the grace.
    expect(Date.now() - started).toBeLessThan(3000);
    let end: GrpcError | undefined;
    try {
      for (let next = await reader.next(); !next.done; next = await reader.next());
    } catch (error) {
      end = error as GrpcError;
    }
    expect(end?.code).toBe(status.UNAVAILABLE);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "UNAVAILABLE", reason: "SERVER_SHUTTING_DOWN" })]);
  });

  it("are ended UNAVAILABLE (CONNECTION_CLOSING) when their connection reaches its max age, before the grace cuts it", async () => {
    server = await startStreamingServer({ GRPC_MAX_CONNECTION_AGE_MS: "300", GRPC_MAX_CONNECTION_AGE_GRACE_MS: "60000" });
    server.setWatch(async (context, stream) => {
      await stream.send({ reason: "open" });
      await aborted(context.signal);
      throw context.signal.reason;
    });
    const started = Date.now();
    const { reasons, error } = await collect(server.client.watch({ sessionId: SESSION_ID }));
    expect(reasons).toEqual(["open"]);
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(decodeStatusDetails(error?.metadata).reason).toBe("CONNECTION_CLOSING");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "UNAVAILABLE", reason: "CONNECTION_CLOSING" })]);
    // The caller re-opens it on a new connection.
    server.setWatch(async (_context, stream) => stream.send({ reason: "again" }));
    expect((await collect(server.client.watch({ sessionId: SESSION_ID }))).reasons).toEqual(["again"]);
  });

  it("can be listed and called through reflection with buf curl (as with grpcurl)", async () => {
    server = await startStreamingServer();
    server.setWatch(async (_context, stream) => {
      for (let i = 0; i < 3; i++) await stream.send({ reason: `m${i}` });
    });
    expect(await listMethods(server.address)).toContain(WATCH);
    const result = await bufCurl(server.address, `/${WATCH}`, { sessionId: SESSION_ID });
    expect(result.code).toBe(0);
    const reasons = [...result.stdout.matchAll(/"reason": "(m\d)"/g)].map((match) => match[1]);
    expect(reasons).toEqual(["m0", "m1", "m2"]);
  });
});
