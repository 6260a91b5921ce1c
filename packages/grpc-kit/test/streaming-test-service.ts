import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema, MethodDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { EnvReader } from "@faultmaven/config";
import { ErrorInfoSchema } from "@faultmaven/contract/rpc";
import { GetSessionRequestSchema } from "@faultmaven/contract/session";
import { pino } from "pino";
import {
  bind,
  createClient,
  OpenStreams,
  readServerConfig,
  serve,
  ServiceMetrics,
  type CallContext,
  type ServerStream,
} from "@faultmaven/grpc-kit";
import { HealthStatus } from "../src/health.js";

/**
 * A test-only service, built at run time so that it stays out of the
 * contract: Watch streams ErrorInfo messages (a small message with a string
 * to fill) for a GetSessionRequest (whose session_id has protovalidate
 * rules), Get answers one.
 */
const file = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "grpc_kit_test/v1/streaming_test.proto",
    package: "grpc_kit_test.v1",
    syntax: "proto3",
    dependency: [GetSessionRequestSchema.file.proto.name, ErrorInfoSchema.file.proto.name],
    service: [
      {
        name: "StreamingTestService",
        method: [
          create(MethodDescriptorProtoSchema, {
            name: "Watch",
            inputType: `.${GetSessionRequestSchema.typeName}`,
            outputType: `.${ErrorInfoSchema.typeName}`,
            serverStreaming: true,
          }),
          create(MethodDescriptorProtoSchema, {
            name: "Get",
            inputType: `.${GetSessionRequestSchema.typeName}`,
            outputType: `.${ErrorInfoSchema.typeName}`,
          }),
        ],
      },
    ],
  }),
  (name) => [GetSessionRequestSchema.file, ErrorInfoSchema.file].find((f) => f.proto.name === name),
);

export const StreamingTestService = file.getService("grpc_kit_test.v1.StreamingTestService") as unknown as GenService<{
  watch: { methodKind: "server_streaming"; input: typeof GetSessionRequestSchema; output: typeof ErrorInfoSchema };
  get: { methodKind: "unary"; input: typeof GetSessionRequestSchema; output: typeof ErrorInfoSchema };
}>;

export const SESSION_ID = "sess_AAAAAAAAAAAAAAAAAAAAAA";

/** What the Watch handler does for the current test. */
export type WatchBehaviour = (context: CallContext, stream: ServerStream<typeof ErrorInfoSchema>) => Promise<void>;

/** What the unary Get handler does for the current test: answers the ErrorInfo's reason. */
export type GetBehaviour = (sessionId: string, context: CallContext) => Promise<string>;

/**
 * The test service behind the kit's real `serve` (transport interceptors,
 * reflection, health, metrics, shutdown), with the "rpc" log lines kept in
 * `lines` and a kit client connected to it.
 */
export async function startStreamingServer(env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const config = readServerConfig(0, 0, new EnvReader({ GRPC_HOST: "127.0.0.1", GRPC_SHUTDOWN_GRACE_MS: "10000", ...env }));
  const metrics = new ServiceMetrics("grpc-kit-test");
  const streams = new OpenStreams(config.limits.maxServerStreams, metrics.streamObserver);
  const state: { watch: WatchBehaviour; get: GetBehaviour } = { watch: async () => {}, get: async (sessionId) => sessionId };
  const binding = bind(StreamingTestService, {
    watch: (_request, context, stream) => state.watch(context, stream),
    get: async (request, context) => ({ reason: await state.get(request.sessionId, context) }),
  });
  const signalListeners = { SIGTERM: process.listeners("SIGTERM"), SIGINT: process.listeners("SIGINT") };
  const running = await serve({
    services: [{ service: binding.service, implementation: binding.implement({ logger, observers: [metrics.observer], streams }) }],
    config,
    maxRequestBytes: 64 * 1024,
    health: new HealthStatus([StreamingTestService.typeName]),
    metrics,
    logger,
    onShutdown: async () => {},
    environment: "test",
    streams,
  });
  // serve() exits the process on SIGTERM: not this test process's.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalListeners[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }
  const address = `127.0.0.1:${running.port}`;
  const client = createClient(StreamingTestService, address);
  return {
    address,
    client,
    lines,
    streams,
    running,
    setWatch(behaviour: WatchBehaviour) {
      state.watch = behaviour;
    },
    setGet(behaviour: GetBehaviour) {
      state.get = behaviour;
    },
    rpcLines: () => lines.filter((line) => line.msg === "rpc"),
    /** One sample of a metric from the process's registry (its labels matched exactly), 0 when absent. */
    async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
      const sample = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
      return sample?.value ?? 0;
    },
    async stop() {
      client.close();
      await running.shutdown("test over");
    },
  };
}
