/**
 * The rungs of the feature ladder (feature-ladder.ts): level n is the bare
 * server with the features of levels 1..n switched on.
 */
export const LADDER_LEVELS = [
  "bare grpc-js + Redis",
  "+ protobuf-es",
  "+ protovalidate",
  "+ pino rpc line",
  "+ prom-client",
  "+ AsyncLocalStorage",
  "+ interceptor",
] as const;

export type LadderFeature = (typeof LADDER_LEVELS)[number];
