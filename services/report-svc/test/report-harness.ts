import { fileURLToPath } from "node:url";
import { ReportService } from "@faultmaven/contract/report";
import { ChromaServer, RedisServer, startGrpcService } from "@faultmaven/test-kit";

export { failure } from "@faultmaven/test-kit";

/** The service's entry point, started as production starts it. */
export const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Starts report-svc with `env`, and a client for it. */
export function startReportService(env: Record<string, string>) {
  return startGrpcService(ENTRY, ReportService, env);
}

/** What reportServiceOnFreshStores hands the test file once all three run. */
export interface ReportServiceOnStores {
  readonly redis: RedisServer;
  readonly chroma: ChromaServer;
  readonly svc: Awaited<ReturnType<typeof startReportService>>;
}

/**
 * For the file it is called in: a fresh redis-server and a fresh ChromaDB
 * (which may take most of a minute to start on a busy box), and report-svc
 * on both with `env` added, started before the tests and handed to `use`.
 * After the tests the service stops first, then both stores close.
 */
export function reportServiceOnFreshStores(env: Record<string, string>, use: (started: ReportServiceOnStores) => void): void {
  let redis: RedisServer | undefined;
  let chroma: ChromaServer | undefined;
  let svc: ReportServiceOnStores["svc"] | undefined;
  beforeAll(async () => {
    [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
    svc = await startReportService({ ...redis.env, ...chroma.env, ...env });
    use({ redis, chroma, svc });
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
    await Promise.all([redis?.close(), chroma?.close()]);
  });
}
