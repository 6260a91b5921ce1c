import { UnavailableError } from "@faultmaven/errors";
import type { Cluster, Redis } from "ioredis";
import type { RedisClient, RedisMode } from "@faultmaven/redis";

/** What the subscriber tells its owner. */
export interface SubscriberEvents {
  message(channel: string, payload: string): void;
  /** The connection went away or stopped answering: messages may have been missed. */
  lost(): void;
}

/** How often the subscriber connection is pinged, so a frozen server is noticed (not on Cluster). */
const HEARTBEAT_MS = 1000;

/** How long a subscribe waits for a reconnecting subscriber connection (Redis just came back) before failing. */
const RECONNECT_WAIT_MS = 2000;

/** Resolves when `connection` is ready, at once if it is; rejects after RECONNECT_WAIT_MS. */
function ready(connection: Redis): Promise<void> {
  if (connection.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.off("ready", onReady);
      reject(new Error(`the subscriber connection is ${connection.status}`));
    }, RECONNECT_WAIT_MS);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.once("ready", onReady);
  });
}

/**
 * This process's one subscriber connection for watch events, made from the
 * store's client on first use: plain SUBSCRIBE on standalone and Sentinel;
 * on Cluster, sharded SSUBSCRIBE through ioredis' sharded subscribers (one
 * connection per master, since a shard channel is served by its shard
 * only). Nothing is resubscribed by itself after a reconnect: a lost
 * connection is reported (`lost`) and the owner ends its watches, whose
 * callers come back and subscribe afresh. On standalone and Sentinel a ping
 * every second, within the command timeout, finds a server that stopped
 * answering (frozen, or a dead peer the kernel has not noticed): two missed
 * in a row drop the connection.
 */
export class ChannelSubscriber {
  readonly #sharded: boolean;
  #connection: Redis | Cluster | undefined;
  #connecting: Promise<Redis | Cluster> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly client: RedisClient,
    mode: RedisMode,
    private readonly events: SubscriberEvents,
  ) {
    this.#sharded = mode === "cluster";
  }

  async subscribe(channel: string): Promise<void> {
    const connection = await this.#connected();
    try {
      if (!this.#sharded) await ready(connection as Redis);
      if (this.#sharded) await connection.ssubscribe(channel);
      else await connection.subscribe(channel);
    } catch (cause) {
      throw new UnavailableError("redis", { cause });
    }
  }

  unsubscribe(channel: string): void {
    const connection = this.#connection;
    if (!connection) return;
    const done = this.#sharded ? connection.sunsubscribe(channel) : connection.unsubscribe(channel);
    // Best effort: a lost connection has no subscriptions left to remove.
    done.catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#connection?.disconnect();
  }

  #connected(): Promise<Redis | Cluster> {
    if (this.#closed) return Promise.reject(new UnavailableError("redis", { cause: new Error("the store is closed") }));
    this.#connecting ??= this.#open().catch((cause: unknown) => {
      this.#connecting = undefined;
      throw new UnavailableError("redis", { cause });
    });
    return this.#connecting;
  }

  async #open(): Promise<Redis | Cluster> {
    const connection = this.#sharded
      ? (this.client as Cluster).duplicate([], { shardedSubscribers: true })
      : (this.client as Redis).duplicate({ autoResubscribe: false, connectionName: "session-svc-watch" });
    // Errors surface as lost connections and failed subscribes; keep the event from crashing the process.
    connection.on("error", () => undefined);
    const lost = () => this.events.lost();
    if (this.#sharded) {
      connection.on("smessage", (channel: string, payload: string) => this.events.message(channel, payload));
      connection.on("-node", lost);
    } else {
      connection.on("message", (channel: string, payload: string) => this.events.message(channel, payload));
    }
    connection.on("close", lost);
    try {
      await connection.connect();
    } catch (error) {
      connection.disconnect();
      throw error;
    }
    this.#connection = connection;
    if (!this.#sharded) this.#startHeartbeat(connection as Redis);
    return connection;
  }

  #startHeartbeat(connection: Redis): void {
    let pending = false;
    let missed = 0;
    this.#heartbeat = setInterval(() => {
      if (connection.status !== "ready" || pending) return;
      pending = true;
      // The client's command timeout bounds the ping. Two missed in a row (not one: a busy event loop can make
      // one late) mean the server is gone or frozen.
      connection.ping().then(
        () => {
          pending = false;
          missed = 0;
        },
        () => {
          pending = false;
          if (++missed < 2) return;
          missed = 0;
          if (connection.status === "ready") connection.disconnect(true);
          this.events.lost();
        },
      );
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }
}
