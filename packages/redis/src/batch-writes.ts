import { Cluster, type Redis } from "ioredis";

type SendCommand = (command: unknown, stream?: unknown, node?: unknown) => unknown;

/**
 * Writes all commands a connection gets in one turn of the event loop with
 * one system call: the socket is corked at the first command of the turn
 * and uncorked once the turn's I/O callbacks have run (setImmediate; a
 * tick would be too soon: Node drains the tick queue after each HTTP/2
 * frame's callback, so each call's command would still leave alone). Under
 * load, many calls' commands leave together (a write per command was the
 * largest single cost of a hot call); a lone command waits no longer than
 * the rest of the current turn. Nothing else changes: ioredis still queues
 * each command and matches its reply.
 */
export function batchWritesPerTick(client: Redis | Cluster): void {
  if (client instanceof Cluster) {
    for (const node of client.nodes("all")) batch(node);
    client.on("+node", (node: Redis) => batch(node));
  } else {
    batch(client);
  }
}

function batch(connection: Redis): void {
  const send = connection.sendCommand.bind(connection) as SendCommand;
  let corked: { uncork(): void } | undefined;
  const batched: SendCommand = (command, stream, node) => {
    const socket = (connection as unknown as { stream?: { cork(): void; uncork(): void; writable: boolean } }).stream;
    if (corked === undefined && socket?.writable && connection.status === "ready") {
      socket.cork();
      corked = socket;
      setImmediate(() => {
        corked = undefined;
        socket.uncork();
      });
    }
    return send(command, stream, node);
  };
  connection.sendCommand = batched as typeof connection.sendCommand;
}
