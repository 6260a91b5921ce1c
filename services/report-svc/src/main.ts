import { auditBinding, openAuditTrail } from "@faultmaven/audit";
import { ReportService } from "@faultmaven/contract/report";
import { bind, ReadinessFlag, runService } from "@faultmaven/grpc-kit";
import { neverReachedRedis, openStore, StartupError } from "@faultmaven/redis";
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
import { reportKeys } from "./redis/keys.js";

runService({
  name: "report-svc",
  config: readReportConfig,
  namespaces: reportKeySchema.namespaces,
  // The largest valid request, a SaveReport of 200000 characters (at most 4 bytes each), is under 0.81 MB.
  maxRequestBytes: 1024 * 1024,
  async open({ config, logger, keyspace, metrics }) {
    const embedder: Embedder =
      config.embedding.provider === "openai"
        ? new OpenAiEmbedder(config.embedding.url, config.embedding.model, config.embedding.apiKey)
        : new HashingEmbedder();
    const content = new ChromaContentStore(config.chroma.url, embedder.model, config.chroma.timeoutMs);
    const chroma = await new ChromaReadiness(content).start();
    if (!chroma.ready && config.environment === "production") {
      chroma.stop();
      throw new StartupError(`ChromaDB is unreachable at ${config.chroma.url}; ENVIRONMENT=production requires it. Check CHROMA_URL.`);
    }

    const redis = new ReadinessFlag();
    const { store, backend, client, close } = await openStore<ReportStore>({
      storageType: "redis",
      storageVariable: "REDIS_HOST",
      environment: config.environment,
      redis: config.redis,
      connectionName: "report-svc",
      logger,
      setServing: (ready) => redis.set(ready),
      createRedisStore: (client, mode) => new RedisReportStore(client, mode),
      createMemoryStore: () => new MemoryReportStore(),
      keyspace,
    });

    const reports = new Reports(store, content, embedder, logger, neverReachedRedis, config.reports);
    const reconcile = () =>
      reports
        .reconcile()
        .then((outcome) => logger.info(outcome, "reconciliation pass"))
        .catch((error: unknown) => logger.warn({ err: error }, "reconciliation skipped: a store is unavailable"));
    // The in-memory fallback knows nothing of content saved before this process: reconciling would learn nothing.
    const reconciler = backend === "redis" ? setInterval(() => void reconcile(), config.reconcileIntervalMs).unref() : undefined;
    if (backend === "redis") void reconcile();

    const audit = openAuditTrail({
      service: "report-svc",
      streamKey: reportKeys.audit(),
      client,
      config: config.audit,
      logger,
      registry: metrics.registry,
    });

    return {
      stores: { reports, store, audit },
      // Reports need both stores (seed §8): serving only while both answer.
      readiness: { redis, chromadb: chroma },
      close: async () => {
        clearInterval(reconciler);
        chroma.stop();
        // The queued audit records go out before the connection closes.
        await audit.close().finally(close);
      },
      onPermissionDenied: audit.recordDenial,
    };
  },
  handlers: ({ reports, store, audit }, { config }) => [
    bind(ReportService, reportHandlers(reports, store, config.closedCaseTtlMs)),
    auditBinding(audit),
  ],
});
