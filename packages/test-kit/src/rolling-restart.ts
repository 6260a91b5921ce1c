import { readFileSync } from "node:fs";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { status, type ServiceError } from "@grpc/grpc-js";
import { createClient, type PromiseClient } from "@faultmaven/grpc-kit";
import type { ServiceProcess } from "./service-process.js";
import { waitFor } from "./wait-for.js";

/** config/grpc-service-config.json, the service config callers are told to use (docs/operations.md, "Rolling restarts"). */
export function callerServiceConfig(): object {
  return JSON.parse(readFileSync(new URL("../../../config/grpc-service-config.json", import.meta.url), "utf8")) as object;
}

/** A client of all `replicas` set up as callers are told to (callerServiceConfig): round robin over them, with its retries. */
export function roundRobinClient<T extends GenServiceMethods>(
  service: GenService<T>,
  replicas: readonly ServiceProcess[],
): PromiseClient<T> {
  return createClient(
    service,
    replicas.map((replica) => replica.address),
    { serviceConfig: callerServiceConfig() },
  );
}

/** Calls a service process answered OK, from its "rpc" log lines. */
export function servedCalls(replica: ServiceProcess): number {
  return replica.logs.filter((line) => line.msg === "rpc" && line.code === "OK").length;
}

/** A failed call of a load: its method, gRPC code name and message. */
export interface FailedCall {
  readonly method: string;
  readonly code: string;
  readonly details: string;
}

/**
 * Runs `tick` every `intervalMs` until stopped; `tick(n)` starts calls
 * (method name → call) for the n-th tick. Every call (in all and per
 * method) and every failure is counted.
 */
export function steadyLoad(tick: (n: number) => Record<string, Promise<unknown>>, intervalMs = 10) {
  const failures: FailedCall[] = [];
  const pending = new Set<Promise<unknown>>();
  const byMethod: Record<string, number> = {};
  let calls = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    for (const [method, call] of Object.entries(tick(ticks++))) {
      calls++;
      byMethod[method] = (byMethod[method] ?? 0) + 1;
      const settled = call.then(
        () => undefined,
        (error: ServiceError) => void failures.push({ method, code: status[error.code] ?? String(error.code), details: error.details }),
      );
      pending.add(settled);
      void settled.finally(() => pending.delete(settled));
    }
  }, intervalMs);
  return {
    failures,
    /** Calls started, per method name. */
    byMethod,
    get calls() {
      return calls;
    },
    /** Stops starting calls and waits for the open ones to settle. */
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/**
 * Restarts `replicas` one at a time, as an operator would: SIGTERM, wait for
 * the exit, `start(i)` again on the same port, and only once the new process
 * has served `minServed` calls go on to the next. Resolves with the exit
 * codes and the new processes.
 */
export async function restartInTurn(
  replicas: readonly ServiceProcess[],
  start: (index: number) => Promise<ServiceProcess>,
  minServed = 50,
): Promise<{ exitCodes: (number | null)[]; restarted: ServiceProcess[] }> {
  const exitCodes: (number | null)[] = [];
  const restarted: ServiceProcess[] = [];
  for (const [i, replica] of replicas.entries()) {
    exitCodes.push(await replica.stop("SIGTERM"));
    const again = await start(i);
    restarted.push(again);
    await waitFor(`restarted replica ${i} serving ${minServed} calls`, () => servedCalls(again) >= minServed, 30_000);
  }
  return { exitCodes, restarted };
}

/** What a rolling restart under load did: calls and failures, exit codes, calls served per replica before and after. */
export interface RollingRestartRun {
  readonly calls: number;
  readonly failures: readonly FailedCall[];
  readonly byMethod: Readonly<Record<string, number>>;
  readonly exitCodes: (number | null)[];
  readonly before: number[];
  readonly after: number[];
  readonly seconds: number;
}

/**
 * Once both `first` replicas serve 50 calls of `load`, restarts them in turn
 * (restartInTurn), stops the load, and sums up; the summary line is printed
 * under `name` so runs can be quoted.
 */
export async function rollingRestartUnderLoad(
  name: string,
  first: readonly ServiceProcess[],
  start: (index: number) => Promise<ServiceProcess>,
  load: ReturnType<typeof steadyLoad>,
  began: number,
): Promise<RollingRestartRun> {
  await waitFor("both replicas serving", () => first.every((replica) => servedCalls(replica) >= 50), 15_000);
  const { exitCodes, restarted } = await restartInTurn(first, start);
  await load.stop();
  const before = first.map(servedCalls);
  const after = restarted.map(servedCalls);
  const seconds = (Date.now() - began) / 1000;
  console.log(
    `${name} rolling restart: ${load.calls} calls in ${seconds.toFixed(1)} s (${Math.round(load.calls / seconds)}/s), ${load.failures.length} failed; ` +
      `served per replica: first processes ${before.join(" + ")}, restarted ${after.join(" + ")}`,
  );
  return { calls: load.calls, failures: load.failures, byMethod: load.byMethod, exitCodes, before, after, seconds };
}
