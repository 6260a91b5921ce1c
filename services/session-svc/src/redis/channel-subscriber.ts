import { UnavailableError } from "@faultmaven/errors";
import type { Cluster, Redis } from "ioredis";
import { keySlot, type RedisClient, type RedisMode } from "@faultmaven/redis";

/** What the subscriber tells its owner. */
export interface SubscriberEvents {
  message(channel: string, payload: string): void;
  /** The connection went away or stopped answering: messages may have been missed. */
  lost(): void;
  /** The channel's slot moved to another master and is subscribed there now: messages in between may have been missed. */
  moved(channel: string): void;
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
 *
 * On Cluster a slot can move to another master (resharding, failover).
 * ioredis then subscribes the slot's channels again on the new master by
 * itself, but what was published in between is lost without a sign. So
 * each channel's master is kept from its subscription, and whenever
 * ioredis has re-subscribed after a topology change (`subscribersReady`,
 * which also fires when nothing moved) each channel whose master changed
 * is subscribed again through the same sharded subscriber (its reply comes
 * after ioredis' own SSUBSCRIBE on that connection) and reported `moved`:
 * its watchers read a fresh snapshot, which covers the lost events.
 */
export class ChannelSubscriber {
  readonly #sharded: boolean;
  #connection: Redis | Cluster | undefined;
  #connecting: Promise<Redis | Cluster> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;
  /** Subscriptions asked for and not yet given back, per channel (one per topic). */
  readonly #wanted = new Map<string, number>();
  /** Each channel's last (un)subscribe, settled once handed to ioredis. */
  readonly #issuing = new Map<string, Promise<void>>();
  /** On Cluster: each subscribed channel's master ("host:port") as of its (re)subscription. */
  readonly #masters = new Map<string, string | undefined>();

  constructor(
    private readonly client: RedisClient,
    mode: RedisMode,
    private readonly events: SubscriberEvents,
  ) {
    this.#sharded = mode === "cluster";
  }

  async subscribe(channel: string): Promise<void> {
    this.#wanted.set(channel, (this.#wanted.get(channel) ?? 0) + 1);
    try {
      await this.#afterPrevious(channel, async () => {
        const connection = await this.#connected();
        if (!this.#sharded) await ready(connection as Redis);
        return { reply: this.#sharded ? connection.ssubscribe(channel) : connection.subscribe(channel) };
      });
    } catch (cause) {
      throw cause instanceof UnavailableError ? cause : new UnavailableError("redis", { cause });
    }
    if (this.#sharded && this.#connection && this.#wanted.has(channel)) {
      this.#masters.set(channel, masterOf(this.#connection as Cluster, channel));
    }
  }

  unsubscribe(channel: string): void {
    const left = (this.#wanted.get(channel) ?? 1) - 1;
    if (left > 0) this.#wanted.set(channel, left);
    else {
      this.#wanted.delete(channel);
      this.#masters.delete(channel);
    }
    const done = this.#afterPrevious(channel, async () => {
      const connection = this.#connection;
      if (!connection) return { reply: Promise.resolve() };
      return { reply: this.#sharded ? connection.sunsubscribe(channel) : connection.unsubscribe(channel) };
    });
    // Best effort: a lost connection has no subscriptions left to remove.
    done.catch(() => undefined);
  }

  /**
   * Hands a channel's (un)subscribe to ioredis once its previous one was
   * handed over (or failed to be), and resolves with Redis' reply. A
   * subscribe may wait for the connection (`ready`) while an unsubscribe
   * goes to ioredis' offline queue at once: without this an unsubscribe
   * asked for after a subscribe could reach Redis before it, and leave the
   * channel subscribed with no watcher (or, the other way round, a watcher
   * with no subscription). One connection keeps the order it is given.
   */
  #afterPrevious(channel: string, issue: () => Promise<{ reply: Promise<unknown> }>): Promise<unknown> {
    const previous = this.#issuing.get(channel) ?? Promise.resolve();
    const handed = previous.then(issue);
    const settled = handed.then(
      () => undefined,
      () => undefined,
    );
    this.#issuing.set(channel, settled);
    void settled.then(() => {
      if (this.#issuing.get(channel) === settled) this.#issuing.delete(channel);
    });
    return handed.then(({ reply }) => reply);
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
      connection.on("subscribersReady", () => void this.#resubscribeMoved(connection as Cluster));
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

  /** Subscribes again each channel whose master changed, then reports it moved (lost on failure). */
  async #resubscribeMoved(connection: Cluster): Promise<void> {
    const moved: string[] = [];
    for (const [channel, master] of this.#masters) {
      const now = masterOf(connection, channel);
      if (now === master) continue;
      this.#masters.set(channel, now);
      moved.push(channel);
    }
    await Promise.all(
      moved.map(async (channel) => {
        try {
          // In order with the channel's other (un)subscribes; not at all once its last watcher left.
          await this.#afterPrevious(channel, async () => ({
            reply: this.#wanted.has(channel) ? connection.ssubscribe(channel) : Promise.resolve(),
          }));
        } catch {
          this.events.lost();
          return;
        }
        if (this.#wanted.has(channel)) this.events.moved(channel);
      }),
    );
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

/** The master serving `channel`'s slot as the cluster connection knows it. */
function masterOf(connection: Cluster, channel: string): string | undefined {
  return connection.slots[keySlot(channel)]?.[0];
}
