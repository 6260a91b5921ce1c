import { callOverError, currentCallScope, isCallOver, onCallEnd, outsideCallScope, type CallScope } from "@faultmaven/call-scope";
import type { ServiceError } from "@faultmaven/errors";
import { Cluster, type Command, type Redis } from "ioredis";

type SendCommand = (command: Command, stream?: unknown, node?: unknown) => unknown;

/** The call each command was first sent for: re-sends (MOVED, TRYAGAIN, reconnects) are judged by it. */
const SCOPE = Symbol("call scope");
/** One decision for all commands of a pipeline written in one go (a partial one would misalign replies). */
const pipelineDecisions = new WeakMap<object, ServiceError | null>();
/** A call's commands sent so far, kept on its end (or signal): one end listener per call rejects those still unanswered. */
const SENT = Symbol("commands sent");

// Symbol properties rather than WeakMaps: set on every command of every call, and a WeakMap entry costs more to
// make and to collect (an ephemeron) than a property.
type ScopedCommand = Command & { [SCOPE]?: CallScope };
type EndWithCommands = object & { [SENT]?: SentCommands };

/** Settled commands leave the set in sweeps, when it doubles past the last sweep (a callback per command costs more). */
interface SentCommands {
  readonly commands: Set<Command>;
  sweepAt: number;
}
const FIRST_SWEEP_AT = 32;

/**
 * Makes every command sent through `client` honour the call scope it is sent
 * in, at the one choke point all commands pass (sendCommand of the
 * connection, and of each Cluster node's connection):
 * - a command is refused, no bytes sent, once its call is over (deadline
 *   passed: DEADLINE_EXCEEDED; cancelled: CANCELLED);
 * - a command in flight is rejected when its call ends, which bounds its
 *   timeout by min(REDIS_COMMAND_TIMEOUT_MS, remaining deadline). Like
 *   ioredis's own command timeout it only settles the promise: the command
 *   keeps its place in the reply queue, so the late reply is matched and
 *   dropped, never given to another command;
 * - the client's own work (sockets, timers, reconnects, retries) runs outside
 *   any call scope, so it never inherits a call that has ended.
 * Commands sent outside any call (probes, samplers, reconciliation) keep the
 * fixed timeout alone.
 */
export function honourCallScopes(client: Redis | Cluster): void {
  guard(client);
  if (client instanceof Cluster) {
    for (const node of client.nodes("all")) guard(node);
    client.on("+node", (node: Redis) => guard(node));
  }
}

function guard(connection: Redis | Cluster): void {
  const send = connection.sendCommand.bind(connection) as SendCommand;
  const guarded: SendCommand = (command, stream, node) => {
    const scope = (command as ScopedCommand)[SCOPE] ?? currentCallScope();
    if (scope === undefined) return send(command, stream, node);
    const refusal = decide(scope, command, stream);
    if (refusal) {
      command.reject(refusal);
      return command.promise;
    }
    if ((command as ScopedCommand)[SCOPE] === undefined) track(scope, command);
    return outsideCallScope(() => send(command, stream, node));
  };
  connection.sendCommand = guarded as typeof connection.sendCommand;
}

function decide(scope: CallScope, command: Command, stream: unknown): ServiceError | undefined {
  const pipeline = typeof stream === "object" && stream !== null && "isPipeline" in stream ? stream : undefined;
  if (pipeline && pipelineDecisions.has(pipeline)) return pipelineDecisions.get(pipeline) ?? undefined;
  const refusal = isCallOver(scope)
    ? callOverError(scope, new Error(`redis ${command.name.toUpperCase()} not sent: the call was over`))
    : undefined;
  if (pipeline) {
    // A pipeline sends all its commands in one synchronous loop: decide once for that loop.
    pipelineDecisions.set(pipeline, refusal ?? null);
    queueMicrotask(() => pipelineDecisions.delete(pipeline));
  }
  return refusal;
}

function track(scope: CallScope, command: Command): void {
  (command as ScopedCommand)[SCOPE] = scope;
  const end: EndWithCommands = scope.end ?? scope.signal;
  let sent = end[SENT];
  if (sent === undefined) {
    const commands = new Set<Command>();
    sent = { commands, sweepAt: FIRST_SWEEP_AT };
    end[SENT] = sent;
    onCallEnd(scope, () => {
      for (const pending of commands) {
        if (pending.isSettled) continue;
        pending.reject(callOverError(scope, new Error(`redis ${pending.name.toUpperCase()} had no reply when the call ended`))!);
      }
      commands.clear();
    });
  } else if (sent.commands.size >= sent.sweepAt) {
    for (const earlier of sent.commands) if (earlier.isSettled) sent.commands.delete(earlier);
    sent.sweepAt = Math.max(FIRST_SWEEP_AT, 2 * sent.commands.size);
  }
  sent.commands.add(command);
}
