import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type ChatMessageSchema, MessageRole, type SessionLockSchema, type SessionSchema } from "@faultmaven/contract/session";
import type { LockRecord, MessageRecord, MessageRole as RoleName, SessionRecord } from "../domain/session.js";

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

export function lockToProto(lock: LockRecord): MessageInitShape<typeof SessionLockSchema> {
  return {
    sessionId: lock.sessionId,
    owner: lock.owner,
    fencingToken: BigInt(lock.fencingToken),
    expiresAt: timestampFromMs(lock.expiresAt),
  };
}
