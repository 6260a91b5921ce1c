import { create, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { WatchSessionResponseSchema } from "@faultmaven/contract/session";
import type { SessionEvent } from "../domain/session-event.js";
import { messageToProto, sessionToProto } from "./to-proto.js";

type WatchResponse = MessageInitShape<typeof WatchSessionResponseSchema>;

const built = new WeakMap<SessionEvent, MessageShape<typeof WatchSessionResponseSchema>>();

/**
 * The response message of an event, built once however many watchers send
 * it (the store hands every watcher of a session the same event object, and
 * sending a built message does not copy it).
 */
export function builtWatchResponse(event: SessionEvent): MessageShape<typeof WatchSessionResponseSchema> {
  let message = built.get(event);
  if (!message) {
    message = create(WatchSessionResponseSchema, watchEventToProto(event));
    built.set(event, message);
  }
  return message;
}

/** One watch event as the WatchSession stream sends it. */
export function watchEventToProto(event: SessionEvent): WatchResponse {
  const version = BigInt(event.version);
  switch (event.kind) {
    case "snapshot":
      return {
        version,
        expiresAt: timestampFromMs(event.session.expiresAt),
        event: { case: "snapshot", value: { session: sessionToProto(event.session), resync: event.resync } },
      };
    case "caught_up":
      return { version, expiresAt: timestampFromMs(event.expiresAt), event: { case: "caughtUp", value: {} } };
    case "message_appended":
      return {
        version,
        expiresAt: timestampFromMs(event.expiresAt),
        event: {
          case: "messageAppended",
          value: {
            message: messageToProto(event.message),
            messageCount: BigInt(event.messageCount),
            trimmedMessages: event.trimmedMessages,
          },
        },
      };
    case "updated":
      return {
        version,
        expiresAt: timestampFromMs(event.expiresAt),
        event: {
          case: "sessionUpdated",
          value: {
            fields: [
              ...(event.caseId !== undefined ? ["case_id"] : []),
              ...(event.contextCleared || Object.keys(event.setContext).length > 0 || event.removedContextKeys.length > 0
                ? ["context"]
                : []),
            ],
            caseId: event.caseId ?? "",
            contextCleared: event.contextCleared,
            setContext: { ...event.setContext },
            removedContextKeys: [...event.removedContextKeys],
          },
        },
      };
    case "lock_acquired":
    case "lock_refreshed":
    case "lock_released": {
      const lock = {
        owner: event.lock.owner,
        fencingToken: BigInt(event.lock.fencingToken),
        expiresAt: timestampFromMs(event.lock.expiresAt),
      };
      const which = event.kind === "lock_acquired" ? "lockAcquired" : event.kind === "lock_refreshed" ? "lockRefreshed" : "lockReleased";
      return { version, expiresAt: timestampFromMs(event.expiresAt), event: { case: which, value: lock } };
    }
    case "touched":
      return {
        version,
        expiresAt: timestampFromMs(event.expiresAt),
        event: { case: "touched", value: { lastActivity: timestampFromMs(event.at) } },
      };
    case "deleted":
      return { version, event: { case: "deleted", value: {} } };
    case "expired":
      return { version, event: { case: "expired", value: {} } };
  }
}
