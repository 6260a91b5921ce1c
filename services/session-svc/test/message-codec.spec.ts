import type { MessageRecord } from "../src/domain/session.js";
import { storedMessage } from "../src/domain/session-limits.js";
import { decodeStoredMessage } from "../src/redis/message-codec.js";

describe("a message's stored form", () => {
  const messages: MessageRecord[] = [
    { role: "user", content: "plain", metadata: {}, timestamp: 1795724173357 },
    { role: "assistant", content: "", metadata: {}, timestamp: 0 },
    {
      role: "system",
      content: 'has \u001f separators \u001f and "quotes" and ünïcode',
      metadata: { k: "v\u001f", "a.b": "é" },
      timestamp: 42,
    },
    { role: "tool", content: '{"json":true}', metadata: { only: "" }, timestamp: 1 },
  ];

  it.each(messages.map((m) => [m.role, m] as const))("reads back a %s message exactly as written", (_, message) => {
    expect(decodeStoredMessage(storedMessage(message))).toEqual(message);
  });

  it("refuses a string that is not in the stored form", () => {
    expect(() => decodeStoredMessage('{"role":"user"}')).toThrow("not in the stored form");
  });
});
