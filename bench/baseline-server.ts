/**
 * The baseline a hot call is compared with: a bare grpc-js server (no kit, no
 * validation, no logging, no metrics) that, for each method, sends Redis the
 * very commands the real call sent (captured with MONITOR, one after the
 * other as the real call sends them) and answers with the real call's reply
 * bytes, encoded once. One thing is renewed per call: the not-after bound
 * every script of the repo carries as its last argument (a Redis-clock time;
 * replayed as captured it would have passed), so the script does the same
 * TIME check. Run as its own process by baseline.ts; prints its port.
 */
import { readFileSync } from "node:fs";
import { type handleUnaryCall, type MethodDefinition, Server, ServerCredentials, status } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import { withFreshBound } from "./fresh-bound.js";

/** One method of the baseline: its path, the Redis commands to replay (base64 arguments) and the reply (base64). */
export interface BaselineMethod {
  readonly path: string;
  readonly commands: string[][];
  readonly reply: string;
}

/** What baseline.ts hands the process: where Redis is and the methods to serve. */
export interface BaselineSpec {
  readonly redisPort: number;
  readonly methods: BaselineMethod[];
}

const spec = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as BaselineSpec;
const redis = new Redis({ host: "127.0.0.1", port: spec.redisPort });
const bytes = (value: Buffer) => value;
const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
const handlers: Record<string, handleUnaryCall<Buffer, Buffer>> = {};
const failed = new Set<string>();

for (const method of spec.methods) {
  const commands = method.commands.map((args) => args.map((arg) => Buffer.from(arg, "base64")));
  const reply = Buffer.from(method.reply, "base64");
  definition[method.path] = {
    path: method.path,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  };
  handlers[method.path] = (_call, callback) => {
    void (async () => {
      for (const [name, ...args] of commands) await redis.callBuffer(name!.toString(), ...withFreshBound(name!.toString(), args));
    })().then(
      () => callback(null, reply),
      (error: Error) => {
        // The bench's table cannot see grpc-status under h2load: say it here, once per method.
        if (!failed.has(method.path)) console.error(`baseline ${method.path} failed: ${error.message}`);
        failed.add(method.path);
        callback({ code: status.INTERNAL, details: error.message });
      },
    );
  };
}

const server = new Server();
server.addService(definition, handlers);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(JSON.stringify({ port }));
});

// Exit normally on SIGTERM, so that a `--cpu-prof` of the baseline (BENCH_NODE_FLAGS) is written.
process.on("SIGTERM", () => process.exit(0));
