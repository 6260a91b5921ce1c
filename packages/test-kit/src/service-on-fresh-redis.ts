import { RedisServer } from "./redis-server.js";

/** What serviceOnFreshRedis hands the test file once both run. */
export interface ServiceOnRedis<S> {
  readonly redis: RedisServer;
  readonly svc: S;
}

/**
 * For the file (or describe block) it is called in: a fresh redis-server and
 * `start(redis)`, a service on it, both started before the tests and handed
 * to `use`. After the tests the service stops first, so it never sees its
 * Redis go away, then Redis is closed.
 */
export function serviceOnFreshRedis<S extends { stop(): Promise<unknown> }>(
  start: (redis: RedisServer) => Promise<S>,
  use: (started: ServiceOnRedis<S>) => void,
): void {
  let redis: RedisServer | undefined;
  let svc: S | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start();
    svc = await start(redis);
    use({ redis, svc });
  });
  afterAll(async () => {
    await svc?.stop();
    await redis?.close();
  });
}
