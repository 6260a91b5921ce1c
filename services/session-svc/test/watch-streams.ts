import type { MessageShape } from "@bufbuild/protobuf";
import type { WatchSessionResponseSchema } from "@faultmaven/contract/session";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { startSessionService } from "./service-harness.js";

type WatchResponse = MessageShape<typeof WatchSessionResponseSchema>;
type SessionClient = Awaited<ReturnType<typeof startSessionService>>["client"];

/** One WatchSession stream read in the background: its messages as they come, and how it ended. */
export class WatchStream {
  readonly messages: WatchResponse[] = [];
  /** Arrival time (ms) of each message. */
  readonly arrivals: number[] = [];
  readonly controller = new AbortController();
  /** The error status's message, when it ended with one. */
  details: string | undefined;
  /** The stream's final status code (OK when it ended normally). */
  readonly ended: Promise<status>;
  #done = false;

  constructor(client: SessionClient, request: { sessionId: string; fromVersion?: bigint; includeTouches?: boolean }) {
    this.ended = (async () => {
      try {
        for await (const message of client.watchSession(request, { signal: this.controller.signal })) {
          this.messages.push(message);
          this.arrivals.push(performance.now());
        }
        return status.OK;
      } catch (error) {
        this.details = (error as ServiceError).details;
        return (error as ServiceError).code ?? status.UNKNOWN;
      } finally {
        this.#done = true;
      }
    })();
  }

  get done(): boolean {
    return this.#done;
  }

  cancel(): void {
    this.controller.abort();
  }
}

/** Waits until every stream has at least `n` messages (or fails naming how far they got). */
export async function untilEach(streams: readonly WatchStream[], n: number, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (streams.some((s) => s.messages.length < n)) {
    const ended = streams.find((s) => s.done && s.messages.length < n);
    if (ended) {
      throw new Error(
        `a watcher ended with status ${await ended.ended} (${ended.details}) after ${ended.messages.length} of ${n} messages`,
      );
    }
    if (Date.now() - started > timeoutMs) {
      const least = Math.min(...streams.map((s) => s.messages.length));
      throw new Error(`after ${timeoutMs} ms the slowest of ${streams.length} watchers had ${least} of ${n} messages`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
