import { runInCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError } from "@faultmaven/errors";
import { SessionNotFoundError } from "../src/domain/errors.js";
import { IdempotencyMemo } from "../src/memory/idempotency-memo.js";

const asCall = <T>(key: string, fingerprint: string, work: () => T): T =>
  runInCallScope(
    { deadline: undefined, signal: new AbortController().signal, idempotency: { name: `Append:${key}`, fingerprint, windowMs: 1000 } },
    work,
  );

describe("IdempotencyMemo (the in-memory store's idempotency records)", () => {
  let now: number;
  let memo: IdempotencyMemo;
  let runs: number;
  const work = () => ++runs;
  beforeEach(() => {
    now = 0;
    runs = 0;
    memo = new IdempotencyMemo(() => now, 2);
  });

  it("answers a retry within the window with the first answer, and acts again once the window is over", () => {
    expect(asCall("k", "a", () => memo.once("s1", work))).toBe(1);
    now = 999;
    expect(asCall("k", "a", () => memo.once("s1", work))).toBe(1);
    now = 1000;
    expect(asCall("k", "a", () => memo.once("s1", work))).toBe(2);
  });

  it("keeps keys apart per anchor, and acts every time without a key", () => {
    asCall("k", "a", () => memo.once("s1", work));
    expect(asCall("k", "b", () => memo.once("s2", work))).toBe(2);
    expect(memo.once("s1", work)).toBe(3);
    expect(memo.once("s1", work)).toBe(4);
  });

  it("refuses the same key with another request, naming idempotency_key", () => {
    asCall("k", "a", () => memo.once("s1", work));
    const refused = (() => {
      try {
        return asCall("k", "b", () => memo.once("s1", work));
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as InvalidArgumentError).violations.map((v) => v.field)).toEqual(["idempotency_key"]);
    expect(runs).toBe(1);
  });

  it("records the store's answers that are errors (not found), but not other errors", () => {
    const missing = () => {
      runs++;
      throw new SessionNotFoundError("sess_x");
    };
    const broken = () => {
      runs++;
      throw new Error("bug");
    };
    expect(() => asCall("k1", "a", () => memo.once("s1", missing))).toThrow(SessionNotFoundError);
    expect(() => asCall("k1", "a", () => memo.once("s1", work))).toThrow(SessionNotFoundError);
    expect(() => asCall("k2", "a", () => memo.once("s1", broken))).toThrow("bug");
    expect(asCall("k2", "a", () => memo.once("s1", work))).toBe(3);
  });

  it("answers a retry by `replay` when given, and forgets its oldest record beyond its limit", () => {
    expect(asCall("k1", "a", () => memo.once("s1", work, () => -1))).toBe(1);
    expect(asCall("k1", "a", () => memo.once("s1", work, () => -1))).toBe(-1);
    asCall("k2", "a", () => memo.once("s1", work));
    asCall("k3", "a", () => memo.once("s1", work));
    expect(asCall("k1", "a", () => memo.once("s1", work))).toBe(4);
  });
});
