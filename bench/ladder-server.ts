/**
 * The baseline server (baseline-server.ts) with the per-call features a
 * production gRPC service carries switched on one by one, each level adding
 * one to the levels below it (LADDER_LEVELS): what they cost on top of
 * grpc-js plus the call's Redis commands, written plainly with the libraries
 * alone, none of this repo's code. Run as its own process by
 * feature-ladder.ts (through startReplayServer): argv spec file, level, log
 * file; prints its port.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { createRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { SessionService } from "@faultmaven/contract/session";
import { file_faultmaven_validate_v1_rules } from "@faultmaven/contract/validate";
import {
  type handleUnaryCall,
  type MethodDefinition,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from "@grpc/grpc-js";
import { Redis } from "ioredis";
import { pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import type { BaselineSpec } from "./baseline-server.js";
import { withFreshBound } from "./fresh-bound.js";
import { LADDER_LEVELS, type LadderFeature } from "./ladder-levels.js";

const spec = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as BaselineSpec;
const level = Number(process.argv[3]);
const has = (feature: LadderFeature) => level >= LADDER_LEVELS.indexOf(feature);
// Decided once: the bare level must not pay for the checks of the features it lacks.
const protobuf = has("+ protobuf-es");
const validates = has("+ protovalidate");
const logs = has("+ pino rpc line");
const counts = has("+ prom-client");
const scoped = has("+ AsyncLocalStorage");
const redis = new Redis({ host: "127.0.0.1", port: spec.redisPort });
const validator = createValidator({ registry: createRegistry(file_faultmaven_validate_v1_rules) });
// As the service's rpc line: ISO time, no redaction (the line holds no request field).
const logger = pino({ name: "ladder", timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(process.argv[4]!));
const registry = new Registry();
const handled = new Counter({ name: "handled", help: "calls", labelNames: ["service", "method", "code"], registers: [registry] });
const seconds = new Histogram({
  name: "seconds",
  help: "call latency",
  labelNames: ["service", "method"],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
const storage = new AsyncLocalStorage<{ method: string }>();
const schemas = new Map(SessionService.methods.map((m) => [`/${SessionService.typeName}/${m.name}`, m]));
const bytes = (value: Buffer) => value;
const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
const handlers: Record<string, handleUnaryCall<unknown, unknown>> = {};

for (const method of spec.methods) {
  const commands = method.commands.map((args) => args.map((arg) => Buffer.from(arg, "base64")));
  const replyBytes = Buffer.from(method.reply, "base64");
  const schema = schemas.get(method.path);
  if (schema === undefined) throw new Error(`${method.path} is not a SessionService method`);
  const replyMessage = fromBinary(schema.output, replyBytes);
  const [service, name] = method.path.slice(1).split("/") as [string, string];
  definition[method.path] = {
    path: method.path,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes as (value: unknown) => Buffer,
    requestDeserialize: protobuf ? (b: Buffer) => fromBinary(schema.input, b) : bytes,
    responseSerialize: protobuf ? (m: unknown) => Buffer.from(toBinary(schema.output, m as never)) : (bytes as (value: unknown) => Buffer),
    responseDeserialize: bytes,
  };
  const run = async (request: unknown) => {
    if (validates && validator.validate(schema.input, request as never).kind !== "valid") throw new Error("invalid");
    for (const [command, ...args] of commands) await redis.callBuffer(command!.toString(), ...withFreshBound(command!.toString(), args));
    return protobuf ? replyMessage : replyBytes;
  };
  handlers[method.path] = (call, callback) => {
    const started = performance.now();
    const answered = scoped ? storage.run({ method: name }, () => run(call.request)) : run(call.request);
    answered.then(
      (reply) => {
        const ms = performance.now() - started;
        if (logs) logger.info({ method: name, code: "OK", ms, peer: call.getPeer() }, "rpc");
        if (counts) {
          handled.inc({ service, method: name, code: "OK" });
          seconds.observe({ service, method: name }, ms / 1000);
        }
        callback(null, reply);
      },
      (error: Error) => callback({ code: status.INTERNAL, details: error.message }),
    );
  };
}

const passThrough: ServerInterceptor = (_method, call) => new ServerInterceptingCall(call);
const server = new Server(has("+ interceptor") ? { interceptors: [passThrough] } : {});
server.addService(definition, handlers);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(JSON.stringify({ port }));
});
process.on("SIGTERM", () => process.exit(0));
