import { create } from "@bufbuild/protobuf";
import { Server, ServerCredentials, status, type ServiceError, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { AppendMessageResponseSchema, GetSessionResponseSchema, SessionService } from "@faultmaven/contract/session";
import { clientTarget } from "./client-target.js";
import { createClient } from "./client.js";
import { toServiceDefinition } from "./service-definition.js";

/** Retries UNAVAILABLE for the two methods, spreading calls round-robin. */
const serviceConfig = {
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      name: [
        { service: SessionService.typeName, method: "GetSession" },
        { service: SessionService.typeName, method: "AppendMessage" },
      ],
      retryPolicy: {
        maxAttempts: 3,
        initialBackoff: "0.01s",
        maxBackoff: "0.05s",
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    },
  ],
};

/**
 * An in-process SessionService replica: GetSession answers its name,
 * AppendMessage records the idempotency key of every attempt and answers
 * UNAVAILABLE to the first `failFirst` attempts.
 */
async function replica(name: string, failFirst = 0) {
  const keys: string[] = [];
  const server = new Server();
  const implementation: UntypedServiceImplementation = {
    getSession: (_call: unknown, done: (error: null, reply: unknown) => void) =>
      done(null, create(GetSessionResponseSchema, { session: { sessionId: name } })),
    appendMessage: (
      call: { request: { idempotencyKey: string } },
      done: (error: Partial<ServiceError> | null, reply?: unknown) => void,
    ) => {
      keys.push(call.request.idempotencyKey);
      if (keys.length <= failFirst) done({ code: status.UNAVAILABLE, details: "not yet" });
      else done(null, create(AppendMessageResponseSchema, {}));
    },
  };
  server.addService(toServiceDefinition(SessionService), implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, keys, close: () => server.forceShutdown() };
}

describe("createClient over several replicas", () => {
  it("spreads calls over every address of a static list with round_robin", async () => {
    const replicas = [await replica("a"), await replica("b")];
    const client = createClient(
      SessionService,
      replicas.map((r) => r.address),
      { serviceConfig },
    );
    try {
      const answeredBy = new Set<string>();
      for (let i = 0; i < 10; i++) answeredBy.add((await client.getSession({ sessionId: "s" })).session!.sessionId);
      expect([...answeredBy].sort()).toEqual(["a", "b"]);
    } finally {
      client.close();
      for (const r of replicas) r.close();
    }
  });

  it("fills one random idempotency key per call when a service config is given, the same on every retry of that call", async () => {
    const server = await replica("a", 2);
    const client = createClient(SessionService, [server.address], { serviceConfig });
    try {
      await client.appendMessage({ sessionId: "s", message: { content: "hi" } });
      await client.appendMessage({ sessionId: "s", message: { content: "hi" } });
      expect(server.keys).toHaveLength(4);
      expect(server.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(server.keys.slice(0, 3)).toEqual([server.keys[0], server.keys[0], server.keys[0]]);
      expect(server.keys[3]).not.toBe(server.keys[0]);
    } finally {
      client.close();
      server.close();
    }
  });

  it("keeps the caller's idempotency key, and fills none without a service config", async () => {
    const server = await replica("a");
    const retrying = createClient(SessionService, server.address, { serviceConfig });
    const plain = createClient(SessionService, server.address);
    try {
      await retrying.appendMessage({ sessionId: "s", message: { content: "hi" }, idempotencyKey: "mine" });
      await plain.appendMessage({ sessionId: "s", message: { content: "hi" } });
      expect(server.keys).toEqual(["mine", ""]);
    } finally {
      retrying.close();
      plain.close();
      server.close();
    }
  });
});

describe("clientTarget", () => {
  it("passes one address or target URI through", () => {
    expect(clientTarget("dns:session-svc.internal:50051")).toBe("dns:session-svc.internal:50051");
  });

  it("turns a list of IPv4 or IPv6 literals into an ipv4: or ipv6: target", () => {
    expect(clientTarget(["127.0.0.1:1", "10.0.0.2:2"])).toBe("ipv4:127.0.0.1:1,10.0.0.2:2");
    expect(clientTarget(["[::1]:1", "[fd00::2]:2"])).toBe("ipv6:[::1]:1,[fd00::2]:2");
  });

  it("refuses a list with a hostname, pointing to dns:", () => {
    expect(() => clientTarget(["127.0.0.1:1", "session-svc:2"])).toThrow(/use a dns: target for hostnames/);
  });
});
