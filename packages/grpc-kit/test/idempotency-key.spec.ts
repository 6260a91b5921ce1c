import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import { pino } from "pino";
import { type IdempotencyKey, currentCallScope, openCallScope } from "@faultmaven/call-scope";
import { ChangePasswordRequestSchema, GetUserRequestSchema, GetUserResponseSchema } from "@faultmaven/contract/auth";
import { AppendMessageRequestSchema, MessageRole, UpdateSessionRequestSchema } from "@faultmaven/contract/session";
import { type CallContext, pipeline } from "@faultmaven/grpc-kit";

/** Runs `request` through the real pipeline and returns the idempotency key the handler's scope holds. */
async function keyOf(input: DescMessage, request: Message): Promise<IdempotencyKey | undefined> {
  const opened = openCallScope(undefined);
  const context: CallContext = {
    method: "faultmaven.auth.v1.AuthService/ChangePassword",
    deadline: undefined,
    signal: opened.scope.signal,
    metadata: new Metadata(),
    peer: "ipv4:127.0.0.1:1234",
    caller: { identity: undefined, source: "ipv4:127.0.0.1:1234" },
    logger: pino({ level: "silent" }),
    logBindings: {},
  };
  let seen: IdempotencyKey | undefined;
  const run = pipeline({ logger: context.logger, idempotencyWindowMs: 5000 });
  await run(
    {
      method: { service: "faultmaven.auth.v1.AuthService", name: "ChangePassword", input, output: GetUserResponseSchema },
      request,
      context,
    },
    async () => {
      seen = currentCallScope()?.idempotency;
      return {};
    },
  );
  return seen;
}

const change = (fields: Partial<{ userId: string; currentPassword: string; newPassword: string; idempotencyKey: string }>) =>
  create(ChangePasswordRequestSchema, {
    userId: "usr_AAAAAAAAAAAAAAAAAAAAAA",
    currentPassword: "old password 1",
    newPassword: "new password 1",
    idempotencyKey: "k-1",
    ...fields,
  });

describe("idempotency keys in the pipeline", () => {
  it("put the method-scoped key, the request's fingerprint and the window into the call scope", async () => {
    const key = await keyOf(ChangePasswordRequestSchema, change({}));
    expect(key).toEqual({ name: "ChangePassword:k-1", fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), windowMs: 5000 });
  });

  it("fingerprint the request without its key and without its secrets (debug_redact fields)", async () => {
    const base = (await keyOf(ChangePasswordRequestSchema, change({})))!.fingerprint;
    expect((await keyOf(ChangePasswordRequestSchema, change({ idempotencyKey: "k-2" })))!.fingerprint).toBe(base);
    expect((await keyOf(ChangePasswordRequestSchema, change({ currentPassword: "other", newPassword: "other 2" })))!.fingerprint).toBe(
      base,
    );
    expect((await keyOf(ChangePasswordRequestSchema, change({ userId: "usr_BBBBBBBBBBBBBBBBBBBBBB" })))!.fingerprint).not.toBe(base);
  });

  it("fingerprint map entries in key order, whatever order they arrived in (nested maps too)", async () => {
    const append = (metadata: Record<string, string>) =>
      create(AppendMessageRequestSchema, {
        sessionId: "sess_0123456789abcdef",
        message: { role: MessageRole.USER, content: "x", metadata },
        idempotencyKey: "k-1",
      });
    const fingerprintOf = async (metadata: Record<string, string>) =>
      (await keyOf(AppendMessageRequestSchema, append(metadata)))!.fingerprint;
    const ab = await fingerprintOf({ a: "1", b: "2" });
    expect(await fingerprintOf({ b: "2", a: "1" })).toBe(ab);
    expect(await fingerprintOf({ a: "1", b: "3" })).not.toBe(ab);
    const set = (context: Record<string, string>) =>
      create(UpdateSessionRequestSchema, { session: { sessionId: "sess_0123456789abcdef" }, setContext: context, idempotencyKey: "k-1" });
    const xy = (await keyOf(UpdateSessionRequestSchema, set({ x: "1", y: "2" })))!.fingerprint;
    expect((await keyOf(UpdateSessionRequestSchema, set({ y: "2", x: "1" })))!.fingerprint).toBe(xy);
  });

  it("leave calls without a key, and methods without the field, unscoped", async () => {
    expect(await keyOf(ChangePasswordRequestSchema, change({ idempotencyKey: "" }))).toBeUndefined();
    expect(await keyOf(GetUserRequestSchema, create(GetUserRequestSchema, { userId: "usr_AAAAAAAAAAAAAAAAAAAAAA" }))).toBeUndefined();
  });
});
