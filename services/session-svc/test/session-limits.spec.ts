import { InvalidArgumentError } from "@faultmaven/errors";
import { SessionLimitError } from "../src/domain/errors.js";
import { checkContext, contextAfter, contextUsage, keptMessages, pageThatFits, storedMessage } from "../src/domain/session-limits.js";
import type { MessageRecord, SessionLimits } from "../src/domain/session.js";

const limits: SessionLimits = { contextEntries: 3, contextBytes: 20, messageBytes: 200 };
const message = (content: string, timestamp = 1_700_000_000_000): MessageRecord => ({ role: "user", content, metadata: {}, timestamp });

describe("session limit logic", () => {
  it("counts context entries and UTF-8 bytes of keys plus values", () => {
    expect(contextUsage({ a: "é", bb: "xyz" })).toEqual({ entries: 2, bytes: 1 + 2 + 2 + 3 });
  });

  it("applies replace, then set, then remove", () => {
    expect(
      contextAfter({ a: "1", b: "2" }, { replaceContext: { c: "3", d: "4" }, setContext: { d: "5", e: "6" }, removeContext: ["c"] }),
    ).toEqual({ d: "5", e: "6" });
  });

  it("refuses growth past the entry limit, then past the byte limit, naming each", () => {
    const at = (entries: number, bytes: number) => ({ entries, bytes });
    expect(() => checkContext(at(3, 10), at(4, 10), limits)).toThrow(SessionLimitError);
    expect(() => checkContext(at(3, 10), at(4, 10), limits)).toThrow("session.context_entries");
    expect(() => checkContext(at(1, 20), at(1, 21), limits)).toThrow("session.context_bytes");
    expect(() => checkContext(at(2, 10), at(3, 20), limits)).not.toThrow();
  });

  it("lets a context already past a limit (stored under larger limits) shrink or stay, never grow", () => {
    const at = (entries: number, bytes: number) => ({ entries, bytes });
    expect(() => checkContext(at(9, 90), at(8, 80), limits)).not.toThrow();
    expect(() => checkContext(at(9, 90), at(9, 90), limits)).not.toThrow();
    expect(() => checkContext(at(9, 90), at(10, 90), limits)).toThrow("session.context_entries");
    expect(() => checkContext(at(2, 90), at(2, 91), limits)).toThrow("session.context_bytes");
  });

  it("stores a message as the Redis script does: role letter, timestamp, U+001F, metadata JSON or nothing, U+001F, content", () => {
    expect(storedMessage({ role: "tool", content: "c\u001fd", metadata: { k: "v" }, timestamp: 42 })).toBe(
      't42\u001f{"k":"v"}\u001fc\u001fd',
    );
    expect(storedMessage({ role: "assistant", content: "", metadata: {}, timestamp: 1795724173357 })).toBe("a1795724173357\u001f\u001f");
  });

  it("keeps the newest messages within the count and byte limits, oldest dropped first", () => {
    const size = Buffer.byteLength(storedMessage(message("x".repeat(20))));
    const messages = Array.from({ length: 6 }, (_, i) => message(`${i}${"x".repeat(19)}`));
    const byBytes = keptMessages(messages, 10, { ...limits, messageBytes: 3 * size + size - 1 });
    expect(byBytes.map((m) => m.content[0])).toEqual(["3", "4", "5"]);
    expect(keptMessages(messages, 2, { ...limits, messageBytes: 100 * size }).map((m) => m.content[0])).toEqual(["4", "5"]);
  });

  it("refuses a newest message that alone exceeds the message byte limit, as INVALID_ARGUMENT on message", () => {
    const tooBig = message("é".repeat(100));
    expect(() => keptMessages([message("a"), tooBig], 10, limits)).toThrow(InvalidArgumentError);
    expect(() => keptMessages([tooBig], 10, limits)).toThrow("message: is ");
  });

  it("fills a page up to the byte budget, and always takes one", () => {
    expect(pageThatFits([5, 5, 5], 10)).toBe(2);
    expect(pageThatFits([15, 1], 10)).toBe(1);
    expect(pageThatFits([], 10)).toBe(0);
    expect(pageThatFits([3, 3, 3], 100)).toBe(3);
  });
});
