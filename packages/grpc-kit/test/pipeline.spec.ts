import { create } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { currentCallScope, openCallScope } from "@faultmaven/call-scope";
import { ErrorInfoSchema } from "@faultmaven/contract/rpc";
import { CancelledError, DeadlineExceededError, InvalidArgumentError, UnavailableError } from "@faultmaven/errors";
import { composeMiddleware, pipeline, type CallContext, type CallObserver, type Middleware, type UnaryCall } from "@faultmaven/grpc-kit";

/** A call as the adapter builds it, with a logger whose lines land in `lines`. */
function fakeCall(deadline: number | undefined) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const opened = openCallScope(deadline);
  const context: CallContext = {
    method: "test.v1.TestService/Do",
    deadline: deadline === undefined ? undefined : new Date(deadline),
    signal: opened.scope.signal,
    metadata: new Metadata(),
    peer: "ipv4:127.0.0.1:1234",
    caller: { identity: undefined, source: "ipv4:127.0.0.1:1234" },
    logger,
    logBindings: { method: "test.v1.TestService/Do" },
  };
  const call: UnaryCall = {
    method: { service: "test.v1.TestService", name: "Do", input: ErrorInfoSchema, output: ErrorInfoSchema },
    request: create(ErrorInfoSchema, { reason: "the request body" }),
    context,
  };
  return { call, lines, opened };
}

function observed() {
  const events: { code: status }[] = [];
  const observer: CallObserver = (event) => events.push({ code: event.code });
  return { events, observer };
}

describe("composeMiddleware", () => {
  it("runs middleware outermost first and lets each one see what the inner ones did", async () => {
    const order: string[] = [];
    const step =
      (name: string): Middleware =>
      async (call, next) => {
        order.push(`${name} in`);
        const response = await next(call);
        order.push(`${name} out`);
        return { ...response, [name]: true };
      };
    const { call } = fakeCall(undefined);
    const response = await composeMiddleware(step("a"), step("b"))(call, async () => {
      order.push("handler");
      return {};
    });
    expect(order).toEqual(["a in", "b in", "handler", "b out", "a out"]);
    expect(response).toEqual({ a: true, b: true });
  });

  it("lets a middleware answer without calling the rest, and passes errors outwards", async () => {
    const { call } = fakeCall(undefined);
    const refuse: Middleware = () => Promise.reject(new InvalidArgumentError("reason", "refused"));
    let reached = false;
    const seen: unknown[] = [];
    const catcher: Middleware = (c, next) => next(c).catch((error: unknown) => Promise.reject(seen.push(error) && error));
    await expect(
      composeMiddleware(catcher, refuse)(call, async () => {
        reached = true;
        return {};
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(reached).toBe(false);
    expect(seen).toHaveLength(1);
  });
});

describe("the per-call pipeline", () => {
  it("answers a call that arrives past its deadline DEADLINE_EXCEEDED without running the handler", async () => {
    const { call, lines } = fakeCall(Date.now() - 1);
    const { events, observer } = observed();
    let ran = false;
    await expect(
      pipeline({ logger: call.context.logger, observers: [observer] })(call, async () => {
        ran = true;
        return {};
      }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(ran).toBe(false);
    expect(events).toEqual([{ code: status.DEADLINE_EXCEEDED }]);
    expect(lines.filter((l) => l.msg === "rpc")).toEqual([
      expect.objectContaining({ code: "DEADLINE_EXCEEDED", reason: "DEADLINE_EXCEEDED" }),
    ]);
  });

  it("runs the handler inside the call's scope (its deadline and signal)", async () => {
    const deadline = Date.now() + 10_000;
    const { call, opened } = fakeCall(deadline);
    const scope = await pipeline({ logger: call.context.logger })(call, async () => ({ scope: currentCallScope() }));
    expect((scope as { scope: { deadline: number; signal: AbortSignal } }).scope).toEqual({
      deadline,
      signal: call.context.signal,
      caller: call.context.caller,
    });
    opened.close();
  });

  it("reports a call cancelled while its handler ran as CANCELLED, even if the handler then succeeded", async () => {
    const { call, opened, lines } = fakeCall(undefined);
    const { events, observer } = observed();
    await expect(
      pipeline({ logger: call.context.logger, observers: [observer] })(call, async () => {
        opened.cancel();
        return {};
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(events).toEqual([{ code: status.CANCELLED }]);
    expect(lines.find((l) => l.msg === "rpc")).toMatchObject({ code: "CANCELLED", cause: "the handler finished after the call was over" });
  });

  it("logs one rpc line per call with the code, reason and cause chain of an UNAVAILABLE, never the request body", async () => {
    const { call, lines } = fakeCall(undefined);
    await expect(
      pipeline({ logger: call.context.logger })(call, () =>
        Promise.reject(new UnavailableError("redis", { cause: new Error("Command timed out") })),
      ),
    ).rejects.toBeInstanceOf(UnavailableError);
    const rpc = lines.filter((l) => l.msg === "rpc");
    expect(rpc).toEqual([
      expect.objectContaining({
        code: "UNAVAILABLE",
        reason: "STORE_UNAVAILABLE",
        cause: "redis: Command timed out",
        peer: "ipv4:127.0.0.1:1234",
      }),
    ]);
    expect(rpc[0]!.duration_ms).toEqual(expect.any(Number));
    expect(JSON.stringify(lines)).not.toContain("the request body");
  });

  it("logs an unexpected error at level error with its stack, and counts it INTERNAL", async () => {
    const { call, lines } = fakeCall(undefined);
    const { events, observer } = observed();
    await expect(
      pipeline({ logger: call.context.logger, observers: [observer] })(call, () => Promise.reject(new TypeError("bug"))),
    ).rejects.toThrow("bug");
    expect(events).toEqual([{ code: status.INTERNAL }]);
    const rpc = lines.find((l) => l.msg === "rpc")!;
    expect(rpc).toMatchObject({ code: "INTERNAL", level: 50, cause: "bug" });
    expect((rpc.err as { stack: string }).stack).toContain("TypeError: bug");
  });
});
