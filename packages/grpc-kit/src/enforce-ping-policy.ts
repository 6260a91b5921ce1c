import { constants, type Http2Session } from "node:http2";

/**
 * Keepalive enforcement, as gRPC servers elsewhere do it (grpc-js has none):
 * a client PING sooner than `minIntervalMs` after the previous one is a
 * strike; past `maxStrikes` the connection is sent GOAWAY
 * ENHANCE_YOUR_CALM with "too_many_pings" and closed. A ping on time clears
 * the strikes. Sessions are watched from their first call (the only place
 * grpc-js lets the kit see one: see CallingConnections); a connection that
 * never calls is closed by the idle timeout instead.
 */
export class PingPolicy {
  readonly #watched = new WeakSet<Http2Session>();

  constructor(
    readonly minIntervalMs: number,
    readonly maxStrikes: number,
    private readonly onViolation: () => void = () => {},
  ) {}

  watch(session: Http2Session | undefined): void {
    if (session === undefined || this.#watched.has(session)) return;
    this.#watched.add(session);
    let last = performance.now();
    let strikes = 0;
    session.on("ping", () => {
      const now = performance.now();
      strikes = now - last < this.minIntervalMs ? strikes + 1 : 0;
      last = now;
      if (strikes > this.maxStrikes && !session.destroyed) {
        this.onViolation();
        session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from("too_many_pings"));
        session.destroy();
      }
    });
  }
}
