import type { Socket } from "node:net";

/** One accepted TCP connection and its use: how many calls it has open, and when it was last used. */
export class TableConnection {
  openCalls = 0;
  /** When it was accepted, or a call on it last started or ended (performance.now()). */
  lastUsed = performance.now();

  constructor(readonly socket: Socket) {}

  callStarted(): void {
    this.openCalls += 1;
    this.lastUsed = performance.now();
  }

  callEnded(): void {
    this.openCalls -= 1;
    this.lastUsed = performance.now();
  }
}

/**
 * The process's open TCP connections, at most `max`, and which of them
 * have calls open. At the cap a new connection takes the place of the
 * connection with no open call that has been unused longest, so
 * connections opened and left idle cannot lock callers out; when every
 * connection has a call open, the new one is refused.
 */
export class ConnectionTable {
  readonly #open = new Map<string, TableConnection>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#open.size;
  }

  /**
   * Admits `socket`, closing the idlest connection if the table is full;
   * false (nothing closed) when every connection has a call open.
   */
  admit(socket: Socket): boolean {
    if (this.#open.size >= this.max && !this.#closeIdlest()) return false;
    const key = peerOf(socket);
    this.#open.set(key, new TableConnection(socket));
    socket.once("close", () => {
      if (this.#open.get(key)?.socket === socket) this.#open.delete(key);
    });
    return true;
  }

  /**
   * The connection from `peer` (grpc-js's getPeer(): "address:port"), or
   * undefined when it is not in the table. Callers keep it for the
   * connection's life rather than look it up per call.
   */
  find(peer: string): TableConnection | undefined {
    return this.#open.get(peer);
  }

  /** Closes every connection still open. */
  destroyAll(): void {
    for (const { socket } of this.#open.values()) socket.destroy();
  }

  #closeIdlest(): boolean {
    let idlest: [string, TableConnection] | undefined;
    for (const entry of this.#open) {
      if (entry[1].openCalls === 0 && (idlest === undefined || entry[1].lastUsed < idlest[1].lastUsed)) idlest = entry;
    }
    if (idlest === undefined) return false;
    this.#open.delete(idlest[0]);
    idlest[1].socket.destroy();
    return true;
  }
}

/** The same "address:port" grpc-js's getPeer() gives for a call on this connection. */
function peerOf(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
