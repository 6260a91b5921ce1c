import { freePorts } from "./free-port.js";
import { RedisServer } from "./redis-server.js";
import { ServiceProcess } from "./service-process.js";

/** Replicas of one service on one shared Redis: see replicasOnFreshRedis. */
export interface Replicas {
  /** The Redis every replica uses (started before the tests). */
  readonly redis: RedisServer;
  /** Starts one more replica, `env` added to the shared Redis and the drain time. */
  start(env?: Record<string, string>): Promise<ServiceProcess>;
  /**
   * Starts `count` replicas in turn, each on a port of its own; `start(i)`
   * starts replica i again on its port, as a restart in place does.
   */
  onOwnPorts(count: number): Promise<{ first: ServiceProcess[]; start: (index: number) => Promise<ServiceProcess> }>;
}

/**
 * For the file (or describe block) it is called in: replicas of the service
 * at `entry` sharing one fresh redis-server, each given 10 s to drain on
 * SIGTERM. After the tests every replica still running is killed, then Redis
 * is closed.
 */
export function replicasOnFreshRedis(entry: string): Replicas {
  let redis: RedisServer | undefined;
  const started: ServiceProcess[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(started.map((replica) => replica.stop("SIGKILL")));
    await redis?.close();
  });
  const replicas: Replicas = {
    get redis() {
      if (redis === undefined) throw new Error("the replicas' Redis starts in beforeAll: use it in a test");
      return redis;
    },
    async start(env = {}) {
      const replica = await ServiceProcess.start(entry, { ...replicas.redis.env, GRPC_SHUTDOWN_GRACE_MS: "10000", ...env });
      started.push(replica);
      return replica;
    },
    async onOwnPorts(count) {
      const ports = await freePorts(count);
      const start = (i: number) => replicas.start({ GRPC_PORT: String(ports[i]) });
      const first: ServiceProcess[] = [];
      for (let i = 0; i < count; i++) first.push(await start(i));
      return { first, start };
    },
  };
  return replicas;
}
