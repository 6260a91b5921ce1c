/** Who a session belongs to: what names its client and user indexes. */
export interface SessionIdentity {
  readonly userId: string;
  readonly clientId: string;
}

/**
 * The user and client of sessions this process has seen, so a session
 * script can be given its index keys up front (one round trip). A session's
 * user and client never change, so an entry never goes stale; the map is
 * bounded, dropping its oldest entries first.
 */
export class SessionIdentities {
  readonly #known = new Map<string, SessionIdentity>();

  constructor(private readonly limit = 100_000) {}

  get(sessionId: string): SessionIdentity | undefined {
    return this.#known.get(sessionId);
  }

  remember(sessionId: string, identity: SessionIdentity): void {
    if (this.#known.has(sessionId)) return;
    if (this.#known.size >= this.limit) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(sessionId, { userId: identity.userId, clientId: identity.clientId });
  }

  forget(sessionId: string): void {
    this.#known.delete(sessionId);
  }
}
