/** Real parts for tests: redis-server on a free port, service processes, buf curl. */
export { freePort, freePorts, occupyPorts } from "./free-port.js";
export { waitFor } from "./wait-for.js";
export { RedisServer } from "./redis-server.js";
export { dumpRedis } from "./redis-dump.js";
export { RedisCluster } from "./redis-cluster.js";
export { redisTopologies, type RedisTopologies } from "./redis-topologies.js";
export { ServiceProcess, type LogLine } from "./service-process.js";
export { bufCurl, listMethods } from "./buf-curl.js";
export { startGrpcService, failure, type RunningService } from "./grpc-service.js";
export { ChromaServer, chromaCli } from "./chroma-server.js";
export { makeTestPki, issueClientCertificate, type TestPki, type TestClientCertificate } from "./test-pki.js";
export { RedisSentinel } from "./redis-sentinel.js";
export { HttpTap, type TappedExchange } from "./http-tap.js";
export { withServiceClockADayBehind } from "./skewed-clock.js";
export { StalledStreams, type StalledRequest, type StalledOutcome } from "./stalled-streams.js";
export {
  callerServiceConfig,
  roundRobinClient,
  servedCalls,
  steadyLoad,
  restartInTurn,
  rollingRestartUnderLoad,
  type FailedCall,
  type RollingRestartRun,
} from "./rolling-restart.js";
export { serviceOnFreshRedis, type ServiceOnRedis } from "./service-on-fresh-redis.js";
export { replicasOnFreshRedis, type Replicas } from "./replicas-on-fresh-redis.js";
export { concurrentCallers } from "./concurrent-callers.js";
export { metricValue, scrapeMetrics } from "./metric-value.js";
export { metricIn, parseMetrics, type MetricSample } from "./metrics-text.js";
export { LiveHeap } from "./live-heap.js";
export { SentinelTopology, type SentinelTimings } from "./sentinel-topology.js";
export { SentinelProcess, type SentinelWatch } from "./sentinel-process.js";
