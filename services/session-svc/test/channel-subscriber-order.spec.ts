import { EventEmitter } from "node:events";
import type { RedisClient } from "@faultmaven/redis";
import { ChannelSubscriber } from "../src/redis/channel-subscriber.js";

/** A subscriber connection that is reconnecting: it records each command as ioredis would hand it to Redis. */
class ReconnectingConnection extends EventEmitter {
  status = "reconnecting";
  readonly sent: string[] = [];
  async connect(): Promise<void> {}
  subscribe(channel: string): Promise<number> {
    this.sent.push(`SUBSCRIBE ${channel}`);
    return Promise.resolve(1);
  }
  unsubscribe(channel: string): Promise<number> {
    this.sent.push(`UNSUBSCRIBE ${channel}`);
    return Promise.resolve(0);
  }
  disconnect(): void {}
}

/**
 * The order in which a channel's (un)subscribes reach the connection: a
 * subscribe waits for a reconnecting connection while an unsubscribe would
 * go to ioredis' offline queue at once; each must still be sent after the
 * ones asked for before it, so the last one asked for decides.
 */
describe("ChannelSubscriber (un)subscribe order", () => {
  it("sends an unsubscribe asked for while its subscribe waits for the connection after that subscribe, and a later subscribe after both", async () => {
    const connection = new ReconnectingConnection();
    const client = { duplicate: () => connection } as unknown as RedisClient;
    const subscriber = new ChannelSubscriber(client, "standalone", {
      message: () => undefined,
      lost: () => undefined,
      moved: () => undefined,
    });
    const first = subscriber.subscribe("ch");
    await new Promise((resolve) => setImmediate(resolve));
    subscriber.unsubscribe("ch");
    const second = subscriber.subscribe("ch");
    await new Promise((resolve) => setImmediate(resolve));
    connection.status = "ready";
    connection.emit("ready");
    await Promise.all([first, second]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.sent).toEqual(["SUBSCRIBE ch", "UNSUBSCRIBE ch", "SUBSCRIBE ch"]);
    subscriber.close();
  });
});
