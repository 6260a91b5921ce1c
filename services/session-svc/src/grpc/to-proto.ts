import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { MessageRole, type SessionLockSchema, type SessionSchema } from "@faultmaven/contract/session";
import type { LockRecord, MessageRole as RoleName, SessionRecord } from "../domain/session.js";

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
    messages: session.messages.map((m) => ({
      role: ROLE_TO_PROTO[m.role] ?? MessageRole.UNSPECIFIED,
      content: m.content,
      timestamp: timestampFromMs(m.timestamp),
      metadata: { ...m.metadata },
    })),
    messageCount: BigInt(session.messageCount),
    context: { ...session.context },
    version: BigInt(session.version),
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
