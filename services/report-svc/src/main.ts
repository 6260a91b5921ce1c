import { ReportService } from "@faultmaven/contract/report";
import { createLogger, HealthStatus, implement, runMain, serve, ServiceMetrics } from "@faultmaven/grpc-kit";
import { openStore, StartupError } from "@faultmaven/redis";
import { ChromaContentStore } from "./chroma/chroma-content-store.js";
import { ChromaReadiness } from "./chroma/chroma-readiness.js";
import { readReportConfig } from "./config.js";
import type { Embedder } from "./domain/embedder.js";
import { HashingEmbedder } from "./domain/hashing-embedder.js";
import { OpenAiEmbedder } from "./domain/openai-embedder.js";
import type { ReportStore } from "./domain/report-store.js";
import { Reports } from "./domain/reports.js";
import { reportHandlers } from "./grpc/report-handlers.js";
import { MemoryReportStore } from "./memory/memory-report-store.js";
import { RedisReportStore } from "./redis/redis-report-store.js";
import { reportKeySchema } from "./redis/key-schema.js";

const logger = createLogger("report-svc");

runMain(logger, async () => {
  const config = readReportConfig();
  const health = new HealthStatus([ReportService.typeName]);
  const metrics = new ServiceMetrics("report-svc");
  // Reports need both stores (seed §8): serving only while both answer.
  const up = { redis: false, chroma: false };
  const update = (store: keyof typeof up, ready: boolean) => {
    up[store] = ready;
    health.set(up.redis && up.chroma);
  };

  const embedder: Embedder =
    config.embedding.provider === "openai"
      ? new OpenAiEmbedder(config.embedding.url, config.embedding.model, config.embedding.apiKey)
      : new HashingEmbedder();
  const content = new ChromaContentStore(config.chroma.url, embedder.model, config.chroma.timeoutMs);
  const chroma = await new ChromaReadiness(content).start();
  if (!chroma.ready) {
    if (config.environment === "production") {
      chroma.stop();
      throw new StartupError(`ChromaDB is unreachable at ${config.chroma.url}; ENVIRONMENT=production requires it. Check CHROMA_URL.`);
    }
    logger.warn({ chroma: config.chroma.url }, "ChromaDB is unreachable: NOT_SERVING until it answers");
  }
  update("chroma", chroma.ready);
  chroma.on("change", (ready) => {
    update("chroma", ready);
    if (ready) logger.info("chromadb is back");
    else logger.error("chromadb is unreachable: NOT_SERVING, calls fail with UNAVAILABLE");
  });

  const { store, backend, close } = await openStore<ReportStore>({
    storageType: "redis",
    storageVariable: "REDIS_HOST",
    environment: config.environment,
    redis: config.redis,
    connectionName: "report-svc",
    logger,
    setServing: (serving) => update("redis", serving),
    createRedisStore: (client, mode) => new RedisReportStore(client, mode),
    createMemoryStore: () => new MemoryReportStore(),
    keyspace: { namespaces: reportKeySchema.namespaces, registry: metrics.registry, intervalMs: config.server.keyspaceSampleIntervalMs },
  });

  const reports = new Reports(store, content, embedder, logger);
  const reconcile = () =>
    reports.reconcile().catch((error: unknown) => logger.warn({ err: error }, "reconciliation skipped: a store is unavailable"));
  // Against the in-memory fallback every stored report would look orphaned: never reconcile then.
  const reconciler = backend === "redis" ? setInterval(() => void reconcile(), config.reconcileIntervalMs).unref() : undefined;
  if (backend === "redis") void reconcile();

  await serve({
    services: [
      {
        service: ReportService,
        implementation: implement(ReportService, reportHandlers(reports, store, config.closedCaseTtlMs), {
          logger,
          observers: [metrics.observer],
        }),
      },
    ],
    config: config.server,
    health,
    metrics,
    logger,
    environment: config.environment,
    onShutdown: async () => {
      clearInterval(reconciler);
      chroma.stop();
      await close();
    },
  });
});
