/**
 * Every key the suite may write (docs/key-schema.md), as patterns the
 * keyspace audit classifies keys with, plus the seed's deprecated keys.
 */
const PART = "[A-Za-z0-9_.@+-]+";
const TYPES = "INCIDENT_REPORT|RCA_REPORT|RUNBOOK|POST_MORTEM";

export interface KeyPattern {
  readonly name: string;
  readonly owner: "session-svc" | "auth-svc" | "report-svc";
  readonly pattern: RegExp;
}

export const KNOWN_KEYS: readonly KeyPattern[] = [
  { name: "session:{session_id}", owner: "session-svc", pattern: /^session:sess_[A-Za-z0-9_-]{16,64}$/ },
  { name: "session:user_sessions:{user_id}", owner: "session-svc", pattern: new RegExp(`^session:user_sessions:${PART}$`) },
  { name: "client_session:{user_id}:{client_id}", owner: "session-svc", pattern: new RegExp(`^client_session:${PART}:${PART}$`) },
  { name: "auth:user:{user_id}", owner: "auth-svc", pattern: /^auth:user:usr_[A-Za-z0-9_-]{22}$/ },
  { name: "auth:username:{username}", owner: "auth-svc", pattern: new RegExp(`^auth:username:${PART}$`) },
  { name: "auth:email:{email}", owner: "auth-svc", pattern: new RegExp(`^auth:email:${PART}$`) },
  { name: "auth:user_list", owner: "auth-svc", pattern: /^auth:user_list$/ },
  { name: "auth:token:{sha256_hex}", owner: "auth-svc", pattern: /^auth:token:[0-9a-f]{64}$/ },
  { name: "auth:user_tokens:{user_id}", owner: "auth-svc", pattern: /^auth:user_tokens:usr_[A-Za-z0-9_-]{22}$/ },
  { name: "auth:token_meta:{token_id}", owner: "auth-svc", pattern: /^auth:token_meta:tok_[A-Za-z0-9_-]{16}$/ },
  { name: "case:{case_id}:reports", owner: "report-svc", pattern: new RegExp(`^case:${PART}:reports$`) },
  { name: "case:{case_id}:reports:{type}", owner: "report-svc", pattern: new RegExp(`^case:${PART}:reports:(${TYPES})$`) },
  { name: "case:{case_id}:reports:current", owner: "report-svc", pattern: new RegExp(`^case:${PART}:reports:current$`) },
  { name: "report:{report_id}:metadata", owner: "report-svc", pattern: /^report:rep_[A-Za-z0-9_-]{22}:metadata$/ },
];

/** The seed's removed case storage (seed §5): never written, deleted by the audit when asked. */
export const DEPRECATED_KEYS: readonly { name: string; pattern: RegExp }[] = [
  { name: "case:{case_id}", pattern: /^case:[^:]+$/ },
  { name: "user:{user_id}:cases", pattern: /^user:[^:]+:cases$/ },
  { name: "case_index", pattern: /^case_index$/ },
];

export type KeyClass = { kind: "known"; name: string } | { kind: "deprecated"; name: string } | { kind: "unknown" };

export function classifyKey(key: string): KeyClass {
  const known = KNOWN_KEYS.find((k) => k.pattern.test(key));
  if (known) return { kind: "known", name: known.name };
  const deprecated = DEPRECATED_KEYS.find((k) => k.pattern.test(key));
  if (deprecated) return { kind: "deprecated", name: deprecated.name };
  return { kind: "unknown" };
}
