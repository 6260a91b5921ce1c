import { keyPart } from "@faultmaven/redis";
import { SESSION_ID_PATTERN } from "../domain/session-id.js";

/**
 * The session-svc key schema (DESIGN.md §2), built in one place from
 * validated parts so no input can name a key outside these patterns:
 *
 *   session:{session_id}                   Hash    the session        idle TTL
 *   client_session:{user_id}:{client_id}   String  session_id         = its session's
 *   session:user_sessions:{user_id}        ZSet    session ids by creation time
 *                                                  (for ListSessions; TTL = its longest session's)
 */
export const sessionKeys = {
  session: (sessionId: string) =>
    `session:${keyPart("session_id", sessionId, { pattern: SESSION_ID_PATTERN, patternDescription: "a session id (sess_...)" })}`,
  clientIndex: (userId: string, clientId: string) => `client_session:${keyPart("user_id", userId)}:${keyPart("client_id", clientId)}`,
  userIndex: (userId: string) => `session:user_sessions:${keyPart("user_id", userId)}`,
};
