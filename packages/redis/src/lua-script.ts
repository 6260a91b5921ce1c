import { createHash } from "node:crypto";
import type { RedisClient } from "./client.js";

/**
 * A Lua script called by its SHA1 (EVALSHA): one round trip normally, with
 * one EVAL fallback when the server has not seen it yet (after a restart or
 * on a new Cluster node).
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
