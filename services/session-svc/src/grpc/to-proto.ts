import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type AppendMessageResponseSchema,
  type ChatMessageSchema,
  MessageRole,
  type SessionLockSchema,
  type SessionSchema,
  type UpdateSessionResponseSchema,
} from "@faultmaven/contract/session";
import type { AppendOutcome, LockRecord, MessageRecord, MessageRole as RoleName, SessionRecord, WriteOutcome } from "../domain/session.js";

const ROLE_TO_PROTO: Record<RoleName, MessageRole> = {
  user: MessageRole.USER,
  assistant: MessageRole.ASSISTANT,
  system: MessageRole.SYSTEM,
  tool: MessageRole.TOOL,
};

/** The proto role as the store names it. The contract admits only defined roles, never UNSPECIFIED. */
export function roleName(role: MessageRole): RoleName {
  const name = (Object.keys(ROLE_TO_PROTO) as RoleName[]).find((n) => ROLE_TO_PROTO[n] === role);
  if (name === undefined) throw new Error(`role ${role} has no store name`);
  return name;
}

export function sessionToProto(session: SessionRecord): MessageInitShape<typeof SessionSchema> {
  return {
    sessionId: session.sessionId,
    userId: session.userId,
    clientId: session.clientId,
    caseId: session.caseId,
    createdAt: timestampFromMs(session.createdAt),
    lastActivity: timestampFromMs(session.lastActivity),
    expiresAt: timestampFromMs(session.expiresAt),
    ...(session.absoluteExpiresAt !== undefined ? { absoluteExpiresAt: timestampFromMs(session.absoluteExpiresAt) } : {}),
    messages: session.messages.map(messageToProto),
    messageCount: BigInt(session.messageCount),
    context: { ...session.context },
    version: BigInt(session.version),
  };
}

export function messageToProto(message: MessageRecord): MessageInitShape<typeof ChatMessageSchema> {
  return {
    role: ROLE_TO_PROTO[message.role] ?? MessageRole.UNSPECIFIED,
    content: message.content,
    timestamp: timestampFromMs(message.timestamp),
    metadata: { ...message.metadata },
  };
}

/** UpdateSession's reply: version and times, and the session only when the call asked for it. */
export function writeOutcomeToProto(outcome: WriteOutcome): MessageInitShape<typeof UpdateSessionResponseSchema> {
  return writeFields(outcome);
}

function writeFields(outcome: WriteOutcome) {
  return {
    ...(outcome.session ? { session: sessionToProto(outcome.session) } : {}),
    version: BigInt(outcome.version),
    lastActivity: timestampFromMs(outcome.lastActivity),
    expiresAt: timestampFromMs(outcome.expiresAt),
  };
}

/** AppendMessage's reply: the message as stored and the new counters, and the session only when asked for. */
export function appendOutcomeToProto(outcome: AppendOutcome): MessageInitShape<typeof AppendMessageResponseSchema> {
  return {
    ...writeFields(outcome),
    message: messageToProto(outcome.message),
    messageCount: BigInt(outcome.messageCount),
    trimmedMessages: outcome.trimmedMessages,
  };
}

export function lockToProto(lock: LockRecord): MessageInitShape<typeof SessionLockSchema> {
  return {
    sessionId: lock.sessionId,
    owner: lock.owner,
    fencingToken: BigInt(lock.fencingToken),
    expiresAt: timestampFromMs(lock.expiresAt),
  };
}
