import { bufCurl, serviceOnFreshRedis } from "@faultmaven/test-kit";
import { failure, startSessionService } from "./service-harness.js";

/**
 * Context updates through protobuf JSON (buf curl, as grpcurl would send
 * them): keys with "_", upper case, "." and "-" are set, read and removed
 * with set_context / remove_context_keys, which JSON carries verbatim; the
 * same request shape works from the binary client.
 */
let svc: Awaited<ReturnType<typeof startSessionService>>;

serviceOnFreshRedis(
  (redis) => startSessionService(redis.env),
  (started) => ({ svc } = started),
);

const UPDATE = "/faultmaven.session.v1.SessionService/UpdateSession";
const GET = "/faultmaven.session.v1.SessionService/GetSession";

async function curl(path: string, body: unknown): Promise<{ session: { context?: Record<string, string>; caseId?: string } }> {
  const result = await bufCurl(svc.service.address, path, body);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { session: { context?: Record<string, string> } };
}

describe("context keys through buf curl JSON", () => {
  it("sets, reads and removes keys containing _ and upper case", async () => {
    const { session } = await svc.client.createSession({ userId: "json_user", clientId: "c1", context: { keep: "1" } });
    const sessionId = session!.sessionId;

    const set = await curl(UPDATE, {
      session: { session_id: sessionId },
      set_context: { my_key: "snake", MyKey: "camel", "db.host-1": "dotted", UPPER_CASE_KEY: "upper" },
      return_session: true,
    });
    expect(set.session.context).toEqual({ keep: "1", my_key: "snake", MyKey: "camel", "db.host-1": "dotted", UPPER_CASE_KEY: "upper" });

    const read = await curl(GET, { session_id: sessionId });
    expect(read.session.context).toEqual(set.session.context);

    // JSON names of the fields work as well as proto names.
    const removed = await curl(UPDATE, {
      session: { sessionId },
      removeContextKeys: ["my_key", "UPPER_CASE_KEY", "never_set"],
      returnSession: true,
    });
    expect(removed.session.context).toEqual({ keep: "1", MyKey: "camel", "db.host-1": "dotted" });
    expect((await svc.client.getSession({ sessionId })).session!.context).toEqual({ keep: "1", MyKey: "camel", "db.host-1": "dotted" });
  });

  it("takes the lowerCamelCase mask paths of protobuf JSON (caseId, context)", async () => {
    const { session } = await svc.client.createSession({ userId: "json_user", clientId: "c2", context: { old_key: "x" } });
    const sessionId = session!.sessionId;
    const updated = await curl(UPDATE, {
      session: { session_id: sessionId, case_id: "case_json", context: { new_Key: "y" } },
      update_mask: "caseId,context",
      return_session: true,
    });
    expect(updated.session).toMatchObject({ caseId: "case_json", context: { new_Key: "y" } });
    expect(Object.keys(updated.session.context!)).toEqual(["new_Key"]);
  });

  it("applies the same set/remove request from the binary client, and the old context.<key> paths still work there", async () => {
    const { session } = await svc.client.createSession({ userId: "json_user", clientId: "c3", context: { a_b: "1", Gone: "2" } });
    const sessionId = session!.sessionId;
    const viaFields = await svc.client.updateSession({
      session: { sessionId },
      setContext: { c_D: "3" },
      removeContextKeys: ["Gone"],
      returnSession: true,
    });
    expect(viaFields.session!.context).toEqual({ a_b: "1", c_D: "3" });
    const viaMask = await svc.client.updateSession({
      session: { sessionId, context: { e_F: "4" } },
      updateMask: { paths: ["context.e_F", "context.a_b"] },
      returnSession: true,
    });
    expect(viaMask.session!.context).toEqual({ c_D: "3", e_F: "4" });
  });

  it("refuses a bad key in set_context over JSON, naming it", async () => {
    const { session } = await svc.client.createSession({ userId: "json_user", clientId: "c4" });
    const result = await bufCurl(svc.service.address, UPDATE, { session: { session_id: session!.sessionId }, set_context: { "a:b": "v" } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("invalid_argument");
    expect(result.stderr).toContain("set_context.a:b");
    const binary = await failure(svc.client.updateSession({ session: { sessionId: session!.sessionId }, setContext: { "a b": "v" } }));
    expect(binary.fields).toEqual(["set_context.a b"]);
  });
});
