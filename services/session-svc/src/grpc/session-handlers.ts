import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { SessionService } from "@faultmaven/contract/session";
import { decodePageToken, encodePageToken, pageSize, type ServiceHandlers } from "@faultmaven/grpc-kit";
import { SessionNotFoundError } from "../domain/errors.js";
import type { SessionStore } from "../domain/session-store.js";
import { appendOutcomeToProto, lockToProto, roleName, sessionToProto, writeOutcomeToProto } from "./to-proto.js";
import { DEFAULTS, leaseMs } from "./request-values.js";
import { sessionChanges } from "./session-changes.js";
import { builtWatchResponse } from "./watch-event-to-proto.js";

type Handlers = ServiceHandlers<typeof SessionService>;

/** SessionService: call the store, encode. Requests arrive checked against the contract's rules. */
export function sessionHandlers(store: SessionStore): Handlers {
  return {
    async createSession(request) {
      const { userId, clientId, caseId, context } = request;
      const { session, resumed } = await store.createOrResume({ userId, clientId, caseId, context });
      return { session: sessionToProto(session), resumed };
    },

    async getSession(request) {
      const sessionId = request.sessionId;
      const session = await store.get(sessionId);
      if (!session) throw new SessionNotFoundError(sessionId);
      return { session: sessionToProto(session) };
    },

    async findSessionByClient(request) {
      const { userId, clientId } = request;
      const session = await store.findByClient(userId, clientId);
      if (!session) throw new SessionNotFoundError(`${userId}/${clientId}`);
      return { session: sessionToProto(session) };
    },

    async listSessions(request) {
      const userId = request.userId;
      const size = pageSize(request.pageSize, DEFAULTS.pageSize, DEFAULTS.maxPageSize);
      const offset = decodePageToken(`sessions:${userId}`, request.pageToken);
      const page = await store.listByUser(userId, offset, size);
      return {
        sessions: page.sessions.map(sessionToProto),
        nextPageToken: page.nextOffset === undefined ? "" : encodePageToken(`sessions:${userId}`, page.nextOffset),
      };
    },

    async updateSession(request) {
      const changes = sessionChanges(request);
      return writeOutcomeToProto(await store.update(request.session!.sessionId, changes, { returnSession: request.returnSession }));
    },

    async appendMessage(request) {
      const message = request.message!;
      const message_ = { role: roleName(message.role), content: message.content, metadata: message.metadata };
      return appendOutcomeToProto(await store.appendMessage(request.sessionId, message_, { returnSession: request.returnSession }));
    },

    async touchSession(request) {
      const touched = await store.touch(request.sessionId);
      return { lastActivity: timestampFromMs(touched.lastActivity), expiresAt: timestampFromMs(touched.expiresAt) };
    },

    async deleteSession(request) {
      const sessionId = request.sessionId;
      if (!(await store.delete(sessionId)) && !request.allowMissing) throw new SessionNotFoundError(sessionId);
      return {};
    },

    async acquireSessionLock(request) {
      const { sessionId, owner } = request;
      return { lock: lockToProto(await store.acquireLock(sessionId, owner, leaseMs(request.lease))) };
    },

    async refreshSessionLock(request) {
      const { sessionId, owner } = request;
      // The contract bounds the token to a safe integer.
      const token = Number(request.fencingToken);
      return { lock: lockToProto(await store.refreshLock(sessionId, owner, token, leaseMs(request.lease))) };
    },

    async watchSession(request, context, stream) {
      const fromVersion = request.fromVersion > 0n ? Number(request.fromVersion) : undefined;
      // The per-caller cap counts by workload identity, else by address (the peer's, or the one a trusted gateway named).
      const caller = context.caller.identity ?? context.caller.source;
      const events = store.watch(request.sessionId, {
        fromVersion,
        caller,
        includeTouches: request.includeTouches,
        signal: context.signal,
      });
      // Each send waits for the transport (flow control), so a slow caller holds events in the store's bounded buffer.
      for await (const event of events) await stream.send(builtWatchResponse(event));
    },

    async releaseSessionLock(request) {
      const { sessionId, owner } = request;
      return { releasedAt: timestampFromMs(await store.releaseLock(sessionId, owner, Number(request.fencingToken))) };
    },
  };
}
