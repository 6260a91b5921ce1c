import { create } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { openCallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { AuthService, DeleteUserRequestSchema, DeleteUserResponseSchema } from "@faultmaven/contract/auth";
import { PermissionDeniedError } from "@faultmaven/errors";
import {
  ALLOW_ALL,
  authorizeCalls,
  AuthzPolicy,
  pipeline,
  readAuthzConfig,
  resolveAuthorization,
  statusDetailsToJson,
  toStatus,
  type CallContext,
  type PermissionDenial,
  type UnaryCall,
} from "@faultmaven/grpc-kit";

function logged() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

/** A DeleteUser call from `identity`, whose logger binds the caller as the adapter does. */
function deleteUserCall(identity: string | undefined) {
  const { lines, logger } = logged();
  const opened = openCallScope(undefined);
  const method = "faultmaven.auth.v1.AuthService/DeleteUser";
  const context: CallContext = {
    method,
    deadline: undefined,
    signal: opened.scope.signal,
    metadata: new Metadata(),
    peer: "10.0.0.5:40000",
    caller: { identity, source: "10.0.0.5" },
    logger: logger.child({ method, ...(identity === undefined ? {} : { caller: identity }) }),
    logBindings: { method, ...(identity === undefined ? {} : { caller: identity }) },
  };
  const call: UnaryCall = {
    method: { service: AuthService.typeName, name: "DeleteUser", input: DeleteUserRequestSchema, output: DeleteUserResponseSchema },
    // Not a valid request (no user_id): the refusal comes before validation.
    request: create(DeleteUserRequestSchema, {}),
    context,
  };
  return { call, lines };
}

const policy = AuthzPolicy.parse(
  JSON.stringify({ services: { "faultmaven.auth.v1.AuthService": [{ methods: ["DeleteUser"], allow: ["spiffe://faultmaven/admin"] }] } }),
  "policy.json",
);

describe("authorizeCalls in the pipeline", () => {
  it("refuses a caller the policy does not allow before validation: PERMISSION_DENIED with ErrorInfo, a warning, the hook told", async () => {
    const { call, lines } = deleteUserCall("spiffe://faultmaven/agent");
    const denials: PermissionDenial[] = [];
    let ran = false;
    const error = await pipeline(
      { logger: call.context.logger },
      authorizeCalls(policy.accessFor(AuthService), (denial) => denials.push(denial)),
    )(call, async () => {
      ran = true;
      return {};
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(ran).toBe(false);
    const answered = toStatus(error).status;
    expect(answered.code).toBe(status.PERMISSION_DENIED);
    expect(answered.details).toBe("spiffe://faultmaven/agent may not call faultmaven.auth.v1.AuthService/DeleteUser");
    const details = statusDetailsToJson(answered.metadata!.get("grpc-status-details-bin")[0] as Buffer) as { details: object[] };
    expect(details.details).toEqual([
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "CALLER_NOT_ALLOWED",
        domain: "faultmaven.io",
        metadata: { method: "faultmaven.auth.v1.AuthService/DeleteUser", caller: "spiffe://faultmaven/agent", entry: "DeleteUser" },
      },
    ]);
    expect(lines.find((l) => l.msg === "permission denied")).toMatchObject({
      level: 40,
      caller: "spiffe://faultmaven/agent",
      method: "faultmaven.auth.v1.AuthService/DeleteUser",
      entry: "DeleteUser",
    });
    expect(lines.find((l) => l.msg === "rpc")).toMatchObject({ code: "PERMISSION_DENIED", caller: "spiffe://faultmaven/agent" });
    expect(denials).toEqual([
      {
        method: "faultmaven.auth.v1.AuthService/DeleteUser",
        caller: { identity: "spiffe://faultmaven/agent", source: "10.0.0.5" },
        entry: "DeleteUser",
      },
    ]);
  });

  it("lets an allowed caller through to validation and the handler", async () => {
    const { call } = deleteUserCall("spiffe://faultmaven/admin");
    const error = await pipeline({ logger: call.context.logger }, authorizeCalls(policy.accessFor(AuthService)))(
      call,
      async () => ({}),
    ).catch((e: unknown) => e);
    expect(toStatus(error).status.code).toBe(status.INVALID_ARGUMENT);
  });

  it("still refuses when the hook throws, logging the hook's failure", async () => {
    const { call, lines } = deleteUserCall(undefined);
    const error = await pipeline(
      { logger: call.context.logger },
      authorizeCalls(policy.accessFor(AuthService), () => {
        throw new Error("audit down");
      }),
    )(call, async () => ({})).catch((e: unknown) => e);
    expect(toStatus(error).status).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: "a caller without a client certificate may not call faultmaven.auth.v1.AuthService/DeleteUser",
    });
    expect(lines.find((l) => l.msg === "onPermissionDenied failed")).toMatchObject({ level: 50, err: { message: "audit down" } });
  });
});

describe("resolveAuthorization", () => {
  const env = (values: Record<string, string>) => new EnvReader(values);

  it("refuses a production start without a policy, naming the variable and the switch", () => {
    const { logger } = logged();
    expect(() => resolveAuthorization(readAuthzConfig(env({})), { environment: "production", mutualTls: true, logger })).toThrow(
      "AUTHZ_POLICY_FILE: ENVIRONMENT=production needs an authorization policy (see config/authz-policy.example.json), or AUTHZ_ALLOW_ALL_CALLERS=true",
    );
  });

  it("lets everyone in when told to, loudly in production and with a warning in development", () => {
    const production = logged();
    expect(
      resolveAuthorization(readAuthzConfig(env({ AUTHZ_ALLOW_ALL_CALLERS: "true" })), {
        environment: "production",
        mutualTls: true,
        logger: production.logger,
      }),
    ).toBe(ALLOW_ALL);
    expect(production.lines).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringContaining("AUTHZ_ALLOW_ALL_CALLERS=true: NO AUTHORIZATION") }),
    ]);
    const development = logged();
    expect(
      resolveAuthorization(readAuthzConfig(env({})), { environment: "development", mutualTls: false, logger: development.logger }),
    ).toBe(ALLOW_ALL);
    expect(development.lines).toEqual([expect.objectContaining({ level: 40, msg: expect.stringContaining("no authorization policy") })]);
  });

  it("refuses a policy and the allow-all switch together", () => {
    expect(() => readAuthzConfig(env({ AUTHZ_POLICY_FILE: "/p.json", AUTHZ_ALLOW_ALL_CALLERS: "true" }))).toThrow(
      "AUTHZ_ALLOW_ALL_CALLERS: contradicts AUTHZ_POLICY_FILE",
    );
  });

  it("warns that a policy without mutual TLS can only grant to <anyone>, and that a service it names nothing for is closed", () => {
    const { lines, logger } = logged();
    const authorization = resolveAuthorization({ policy, allowAllCallers: false }, { environment: "production", mutualTls: false, logger });
    expect(lines.map((l) => l.msg)).toEqual([
      "authorization policy loaded",
      expect.stringContaining('only the policy\'s "<anyone>" entries'),
    ]);
    authorization.accessFor({ ...AuthService, typeName: "faultmaven.other.v1.OtherService", methods: [] } as never);
    expect(lines.at(-1)).toMatchObject({
      level: 40,
      service: "faultmaven.other.v1.OtherService",
      msg: expect.stringContaining("every call to it is denied"),
    });
  });
});
