import type { Http2Session } from "node:http2";
import type { ConnectionTable } from "./connection-table.js";
import type { PingPolicy } from "./enforce-ping-policy.js";

/** What a call tells its connection: that it started and ended, so the table knows which connections are idle. */
export interface ConnectionUse {
  callStarted(): void;
  callEnded(): void;
}

/** A connection the table does not hold (it was closed meanwhile). */
const UNTRACKED: ConnectionUse = { callStarted() {}, callEnded() {} };

/**
 * The connections calls arrive on, each found once, at its first call: its
 * entry in the connection table and the ping policy's watch on it (grpc-js
 * shows the kit a connection only through a call). A call then costs one
 * WeakMap lookup instead of formatting its peer address and searching the
 * table at its start and again at its end.
 */
export class CallingConnections {
  readonly #known = new WeakMap<Http2Session, ConnectionUse>();

  constructor(
    private readonly table: ConnectionTable,
    private readonly pings: PingPolicy,
  ) {}

  /** The use of `session`, on which `call` arrived (its getPeer() is the table's "address:port"). */
  of(session: Http2Session | undefined, call: { getPeer(): string }): ConnectionUse {
    if (session === undefined) return UNTRACKED;
    let use = this.#known.get(session);
    if (use === undefined) {
      this.pings.watch(session);
      use = this.table.find(call.getPeer()) ?? UNTRACKED;
      this.#known.set(session, use);
    }
    return use;
  }
}
