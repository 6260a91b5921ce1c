/** Who a session belongs to: what names its client and user indexes. */
export interface SessionIdentity {
  readonly userId: string;
  readonly clientId: string;
}

/**
 * The user and client of sessions this process has seen, so a session
 * script can be given its index keys up front (one round trip). A session's
 * user and client never change, so an entry never goes stale; the map is
 * bounded, dropping its oldest entries first. It also keeps the session last
 * seen for each (user, client), FindSessionByClient's guess (the read script
 * checks it against the client index, so a stale guess costs a round trip,
 * never a wrong answer).
 */
export class SessionIdentities {
  readonly #known = new Map<string, SessionIdentity>();
  readonly #lastOfPair = new Map<string, string>();

  constructor(private readonly limit = 100_000) {}

  get(sessionId: string): SessionIdentity | undefined {
    return this.#known.get(sessionId);
  }

  /** The session this process last saw of (userId, clientId). */
  sessionOf(userId: string, clientId: string): string | undefined {
    return this.#lastOfPair.get(pairKey(userId, clientId));
  }

  remember(sessionId: string, identity: SessionIdentity): void {
    if (this.#known.has(sessionId)) return;
    bounded(this.#known, this.limit).set(sessionId, { userId: identity.userId, clientId: identity.clientId });
    bounded(this.#lastOfPair, this.limit).set(pairKey(identity.userId, identity.clientId), sessionId);
  }

  forget(sessionId: string): void {
    this.#known.delete(sessionId);
  }
}

function pairKey(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}

/** The map with room for one more entry: its oldest goes when it is full. */
function bounded<V>(map: Map<string, V>, limit: number): Map<string, V> {
  if (map.size >= limit) map.delete(map.keys().next().value!);
  return map;
}
