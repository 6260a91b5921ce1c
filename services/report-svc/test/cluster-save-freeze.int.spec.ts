import type { ChildProcess } from "node:child_process";
import { runInCallScope, type CallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { UnavailableError } from "@faultmaven/errors";
import { createRedisClient, neverReachedRedis, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { RedisCluster } from "@faultmaven/test-kit";
import type { Cluster } from "ioredis";
import pino from "pino";
import { HashingEmbedder } from "../src/domain/hashing-embedder.js";
import { Reports } from "../src/domain/reports.js";
import { ADVANCE_CURRENT } from "../src/redis/cluster-scripts.js";
import { reportKeys } from "../src/redis/keys.js";
import { RedisReportStore } from "../src/redis/redis-report-store.js";
import { mapContentStore } from "./fixtures/map-content-store.js";

// A real 3-master Cluster whose node owning case:{c}:reports:current is frozen (SIGSTOP) just as a
// save's ADVANCE_CURRENT step (after its commit) is sent, with a 1 s command timeout.
let cluster: RedisCluster;
let client: RedisClient;
let store: RedisReportStore;
const contentStore = mapContentStore();

beforeAll(async () => {
  cluster = await RedisCluster.start();
  client = createRedisClient(readRedisConfig(new EnvReader({ ...cluster.env, REDIS_COMMAND_TIMEOUT_MS: "1000" })), "cluster-save-freeze");
  await client.connect();
  store = new RedisReportStore(client, "cluster");
}, 60_000);

afterAll(async () => {
  await store?.close();
  await cluster?.close();
});

/** The redis-server process serving `key`'s slot. */
async function nodeOf(key: string): Promise<ChildProcess> {
  const slot = Number(await (client as Cluster).cluster("KEYSLOT", key));
  const port = Number((client as Cluster).slots[slot]![0]!.split(":")[1]);
  return (cluster as unknown as { processes: ChildProcess[] }).processes[cluster.ports.indexOf(port)]!;
}

const noKey = (): CallScope => ({ deadline: undefined, signal: new AbortController().signal });

// 950 ms: the step reaches Redis after its not-after bound; 1500 ms: the command times out first.
it.each([950, 1500])(
  "a save whose ADVANCE_CURRENT step is frozen %i ms answers OUTCOME_UNKNOWN and keeps the committed report's content",
  async (freezeMs) => {
    const reports = new Reports(store, contentStore, new HashingEmbedder(), pino({ level: "silent" }), neverReachedRedis);
    const caseId = `case_frz_${freezeMs}`;
    const node = await nodeOf(reportKeys.caseCurrent(caseId));
    const input = { caseId, type: "RCA_REPORT", status: "final", title: "t", createdBy: "u", content: "the analysis" } as const;
    const original = ADVANCE_CURRENT.run.bind(ADVANCE_CURRENT);
    const frozen = new Promise<void>((resolve) => {
      ADVANCE_CURRENT.run = (...args) => {
        ADVANCE_CURRENT.run = original;
        node.kill("SIGSTOP");
        setTimeout(() => {
          node.kill("SIGCONT");
          resolve();
        }, freezeMs);
        return original(...args);
      };
    });
    const failure = await runInCallScope(noKey(), () => reports.save(input)).then(
      () => undefined,
      (error: unknown) => error,
    );
    await frozen;
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as UnavailableError).reason).toBe("OUTCOME_UNKNOWN");
    const listed = await store.listByCase(caseId, 0, 10);
    expect(listed.reports).toHaveLength(1);
    const read = await reports.get(listed.reports[0]!.reportId, true);
    expect(read.content).toBe("the analysis");
  },
  30_000,
);
