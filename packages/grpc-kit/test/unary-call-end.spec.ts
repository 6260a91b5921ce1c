import { create, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, status, type ServiceError as GrpcError } from "@grpc/grpc-js";
import { GetSessionRequestSchema } from "@faultmaven/contract/session";
import { callEndReason, currentCallScope } from "@faultmaven/call-scope";
import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { waitFor } from "@faultmaven/test-kit";
import { SESSION_ID, startStreamingServer } from "./streaming-test-service.js";

type TestServer = Awaited<ReturnType<typeof startStreamingServer>>;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Resolves once the current call's scope ends (what a store call waiting on Redis sees), with why. */
function scopeEnd(): Promise<unknown> {
  const scope = currentCallScope()!;
  return new Promise((resolve) => scope.end!.onEnd(() => resolve(callEndReason(scope))));
}

describe("a unary call's end, through the real server (transport guard beneath the handler)", () => {
  it("reaches the handler's call scope as a CancelledError when the caller cancels, and is logged CANCELLED", async () => {
    server = await startStreamingServer();
    let started = false;
    let seen: unknown;
    server.setGet(async () => {
      started = true;
      seen = await scopeEnd();
      return "too late";
    });
    // A bare grpc-js client: the kit's client has no way to cancel a unary call.
    const client = new Client(server.address, credentials.createInsecure());
    const answered = new Promise<GrpcError | null>((resolve) => {
      const call = client.makeUnaryRequest(
        "/grpc_kit_test.v1.StreamingTestService/Get",
        (request: { sessionId: string }) => Buffer.from(toBinary(GetSessionRequestSchema, create(GetSessionRequestSchema, request))),
        (bytes: Buffer) => bytes,
        { sessionId: SESSION_ID },
        (error) => resolve(error),
      );
      void waitFor("the handler to start", () => started).then(() => call.cancel());
    });
    expect((await answered)?.code).toBe(status.CANCELLED);
    client.close();
    await waitFor("the call's rpc line", () => server!.rpcLines().length === 1);
    expect(seen).toBeInstanceOf(CancelledError);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "CANCELLED" })]);
  });

  it("reaches it as a DeadlineExceededError at the caller's deadline", async () => {
    server = await startStreamingServer();
    let seen: unknown;
    server.setGet(async () => {
      seen = await scopeEnd();
      return "too late";
    });
    await expect(server.client.get({ sessionId: SESSION_ID }, { timeoutMs: 150 })).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    } satisfies Partial<GrpcError>);
    await waitFor("the handler to see the end", () => seen !== undefined);
    expect(seen).toBeInstanceOf(DeadlineExceededError);
  });

  it("never ends the scope of a call answered normally, after it is answered", async () => {
    server = await startStreamingServer();
    let ended = false;
    server.setGet(async (sessionId) => {
      currentCallScope()!.end!.onEnd(() => {
        ended = true;
      });
      return sessionId;
    });
    expect((await server.client.get({ sessionId: SESSION_ID })).reason).toBe(SESSION_ID);
    await waitFor("the call's rpc line", () => server!.rpcLines().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended).toBe(false);
    expect(server.rpcLines()).toEqual([expect.objectContaining({ code: "OK" })]);
  });
});
