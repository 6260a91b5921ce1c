import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { SessionService } from "@faultmaven/contract/session";
import { InvalidArgumentError } from "@faultmaven/errors";
import { decodePageToken, encodePageToken, pageSize, type ServiceHandlers } from "@faultmaven/grpc-kit";
import { SessionNotFoundError } from "../domain/errors.js";
import type { SessionChanges } from "../domain/session.js";
import type { SessionStore } from "../domain/session-store.js";
import { lockToProto, roleName, sessionToProto } from "./to-proto.js";
import { LIMITS, validate } from "./validate.js";

type Handlers = ServiceHandlers<typeof SessionService>;

/** SessionService: decode and validate, call the store, encode. */
export function sessionHandlers(store: SessionStore): Handlers {
  return {
    async createSession(request) {
      const input = {
        userId: validate.id("user_id", request.userId),
        clientId: validate.id("client_id", request.clientId),
        caseId: validate.optionalId("case_id", request.caseId),
        context: validate.stringMap("context", request.context, LIMITS.contextEntries, LIMITS.contextValueLength),
      };
      const { session, resumed } = await store.createOrResume(input);
      return { session: sessionToProto(session), resumed };
    },

    async getSession(request) {
      const sessionId = validate.sessionId(request.sessionId);
      const session = await store.get(sessionId);
      if (!session) throw new SessionNotFoundError(sessionId);
      return { session: sessionToProto(session) };
    },

    async findSessionByClient(request) {
      const userId = validate.id("user_id", request.userId);
      const clientId = validate.id("client_id", request.clientId);
      const session = await store.findByClient(userId, clientId);
      if (!session) throw new SessionNotFoundError(`${userId}/${clientId}`);
      return { session: sessionToProto(session) };
    },

    async listSessions(request) {
      const userId = validate.id("user_id", request.userId);
      const size = pageSize(request.pageSize, LIMITS.defaultPageSize, LIMITS.maxPageSize);
      const offset = decodePageToken(`sessions:${userId}`, request.pageToken);
      const page = await store.listByUser(userId, offset, size);
      return {
        sessions: page.sessions.map(sessionToProto),
        nextPageToken: page.nextOffset === undefined ? "" : encodePageToken(`sessions:${userId}`, page.nextOffset),
      };
    },

    async updateSession(request) {
      const sessionId = validate.sessionId(request.session?.sessionId ?? "", "session.session_id");
      const changes = changesFromMask(request.updateMask?.paths ?? [], request.session?.caseId ?? "", request.session?.context ?? {});
      return { session: sessionToProto(await store.update(sessionId, changes)) };
    },

    async appendMessage(request) {
      const sessionId = validate.sessionId(request.sessionId);
      const message = request.message;
      if (!message) throw new InvalidArgumentError("message", "is required");
      const role = roleName(message.role);
      if (!role) throw new InvalidArgumentError("message.role", "must be USER, ASSISTANT, SYSTEM or TOOL");
      if (message.content === "") throw new InvalidArgumentError("message.content", "is required");
      if (message.content.length > LIMITS.messageContentLength) {
        throw new InvalidArgumentError("message.content", `must be at most ${LIMITS.messageContentLength} characters`);
      }
      const metadata = validate.stringMap("message.metadata", message.metadata, LIMITS.metadataEntries, LIMITS.metadataValueLength);
      const session = await store.appendMessage(sessionId, { role, content: message.content, metadata });
      return { session: sessionToProto(session) };
    },

    async touchSession(request) {
      const touched = await store.touch(validate.sessionId(request.sessionId));
      return { lastActivity: timestampFromMs(touched.lastActivity), expiresAt: timestampFromMs(touched.expiresAt) };
    },

    async deleteSession(request) {
      const sessionId = validate.sessionId(request.sessionId);
      if (!(await store.delete(sessionId)) && !request.allowMissing) throw new SessionNotFoundError(sessionId);
      return {};
    },

    async acquireSessionLock(request) {
      const sessionId = validate.sessionId(request.sessionId);
      const owner = validate.id("owner", request.owner);
      const leaseMs = validate.leaseMs("lease", request.lease);
      return { lock: lockToProto(await store.acquireLock(sessionId, owner, leaseMs)) };
    },

    async refreshSessionLock(request) {
      const sessionId = validate.sessionId(request.sessionId);
      const owner = validate.id("owner", request.owner);
      const token = validate.fencingToken(request.fencingToken);
      const leaseMs = validate.leaseMs("lease", request.lease);
      return { lock: lockToProto(await store.refreshLock(sessionId, owner, token, leaseMs)) };
    },

    async releaseSessionLock(request) {
      const sessionId = validate.sessionId(request.sessionId);
      const owner = validate.id("owner", request.owner);
      const token = validate.fencingToken(request.fencingToken);
      return { releasedAt: timestampFromMs(await store.releaseLock(sessionId, owner, token)) };
    },
  };
}

/**
 * AIP-134 field mask for sessions: "case_id", "context" (replace the map)
 * and "context.<key>" (set that key from session.context, or remove it when
 * absent there).
 */
function changesFromMask(paths: readonly string[], caseId: string, context: Record<string, string>): SessionChanges {
  if (paths.length === 0) throw new InvalidArgumentError("update_mask", "is required (paths: case_id, context, context.<key>)");
  let changes: { -readonly [K in keyof SessionChanges]: SessionChanges[K] } = {};
  const setContext: Record<string, string> = {};
  const removeContext: string[] = [];
  for (const path of paths) {
    if (path === "case_id") {
      changes.caseId = validate.optionalId("session.case_id", caseId);
    } else if (path === "context") {
      changes.replaceContext = validate.stringMap("session.context", context, LIMITS.contextEntries, LIMITS.contextValueLength);
    } else if (path.startsWith("context.")) {
      const key = validate.mapKey("update_mask", path.slice("context.".length));
      if (Object.hasOwn(context, key)) setContext[key] = context[key]!;
      else removeContext.push(key);
    } else {
      throw new InvalidArgumentError("update_mask", `unknown path "${path.slice(0, 64)}" (allowed: case_id, context, context.<key>)`);
    }
  }
  validate.stringMap("session.context", setContext, LIMITS.contextEntries, LIMITS.contextValueLength);
  changes = { ...changes, setContext, removeContext };
  return changes;
}
