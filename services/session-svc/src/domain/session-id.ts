import { randomBytes } from "node:crypto";

/** "sess_" + 144 random bits, base64url (24 characters): unguessable and key-safe. */
export function newSessionId(): string {
  return `sess_${randomBytes(18).toString("base64url")}`;
}

/** The shape newSessionId produces; anything else cannot name a session. */
export const SESSION_ID_PATTERN = /^sess_[A-Za-z0-9_-]{16,64}$/;
