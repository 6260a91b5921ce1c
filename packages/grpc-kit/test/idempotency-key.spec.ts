import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import { pino } from "pino";
import { type IdempotencyKey, currentCallScope, openCallScope } from "@faultmaven/call-scope";
import { ChangePasswordRequestSchema, GetUserRequestSchema, GetUserResponseSchema } from "@faultmaven/contract/auth";
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
    logger: pino({ level: "silent" }),
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

  it("leave calls without a key, and methods without the field, unscoped", async () => {
    expect(await keyOf(ChangePasswordRequestSchema, change({ idempotencyKey: "" }))).toBeUndefined();
    expect(await keyOf(GetUserRequestSchema, create(GetUserRequestSchema, { userId: "usr_AAAAAAAAAAAAAAAAAAAAAA" }))).toBeUndefined();
  });
});
