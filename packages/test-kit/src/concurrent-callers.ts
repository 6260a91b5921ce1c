import { status, type ServiceError } from "@grpc/grpc-js";
import type { FailedCall } from "./rolling-restart.js";

/**
 * `callers` loops running at once, each making one call after another until
 * stopped (a closed loop: always `callers` calls in flight); `call(n)` makes
 * the n-th call of the run and names its method. Every call and failure is
 * counted.
 */
export function concurrentCallers(callers: number, call: (n: number) => { method: string; done: Promise<unknown> }) {
  const failures: FailedCall[] = [];
  let started = 0;
  let succeeded = 0;
  let stopping = false;
  const loop = async () => {
    while (!stopping) {
      const { method, done } = call(started++);
      try {
        await done;
        succeeded++;
      } catch (error) {
        const { code, details } = error as ServiceError;
        failures.push({ method, code: status[code] ?? String(code), details });
      }
    }
  };
  const loops = Array.from({ length: callers }, loop);
  return {
    failures,
    get started() {
      return started;
    },
    get succeeded() {
      return succeeded;
    },
    /** Lets each loop finish its call in flight and start no other. */
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
