import { RedisCluster } from "./redis-cluster.js";
import { RedisServer } from "./redis-server.js";

/** The two Redis topologies a store spec runs against, once they have started. */
export interface RedisTopologies {
  /** A real standalone redis-server. */
  readonly standalone: RedisServer;
  /** A real 3-master Redis Cluster. */
  readonly cluster: RedisCluster;
}

/**
 * A standalone redis-server and a Redis Cluster for one spec file: call it at
 * the file's top level; both start (side by side) before its first test and
 * close after its last. Read `standalone` and `cluster` only inside tests or
 * hooks: they exist once beforeAll has run.
 */
export function redisTopologies(): RedisTopologies {
  let standalone: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    [standalone, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([standalone?.close(), cluster?.close()]);
  });
  const started = <T>(topology: T | undefined): T => {
    if (topology === undefined)
      throw new Error("redisTopologies(): read standalone or cluster inside a test or hook, once beforeAll has run");
    return topology;
  };
  return {
    get standalone() {
      return started(standalone);
    },
    get cluster() {
      return started(cluster);
    },
  };
}
