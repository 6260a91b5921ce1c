/** Why a call was shed to make room. */
export type ShedReason = "calls" | "receiving_bytes";

/** A call holding one of the process's slots. */
export interface Slot {
  /** Ends the call, whose request has not arrived whole, to make room. */
  shed(reason: ShedReason): void;
}

/**
 * The calls the process has open, against two caps: `maxCalls` open at
 * once, and `maxReceivingBytes` of request bytes received by calls whose
 * request has not arrived whole (what stalled and trickling uploads pin).
 * Calls still receiving are the ones shed to stay within both: the oldest
 * when a new call needs a slot, the one holding the most bytes when the
 * byte cap is passed. A well-behaved request arrives within milliseconds
 * of its call's start, so the calls shed are the ones stalling; only when
 * every slot holds a call whose request is in (its handler is running) is
 * a new call refused.
 */
export class InFlightCalls {
  readonly #slots = new Set<Slot>();
  /** Calls whose request is still arriving, oldest first, with the bytes each has received. */
  readonly #receiving = new Map<Slot, number>();
  #receivingBytes = 0;

  constructor(
    readonly maxCalls: number,
    readonly maxReceivingBytes: number,
  ) {}

  get open(): number {
    return this.#slots.size;
  }

  /** Request bytes held by calls still receiving. */
  get receivingBytes(): number {
    return this.#receivingBytes;
  }

  /** Takes a slot for `slot`, shedding the oldest call still receiving if need be; false when none can be had. */
  admit(slot: Slot): boolean {
    if (this.#slots.size >= this.maxCalls) {
      const oldest = this.#receiving.keys().next();
      if (oldest.done) return false;
      oldest.value.shed("calls");
      // shed() ends the call, which releases its slot; never admit past the cap if it did not.
      if (this.#slots.size >= this.maxCalls) return false;
    }
    this.#slots.add(slot);
    this.#receiving.set(slot, 0);
    return true;
  }

  /** `slot`'s call received `bytes` more of its request. */
  receivedBytes(slot: Slot, bytes: number): void {
    const held = this.#receiving.get(slot);
    if (held === undefined) return;
    this.#receiving.set(slot, held + bytes);
    this.#receivingBytes += bytes;
    while (this.#receivingBytes > this.maxReceivingBytes) {
      const before = this.#receivingBytes;
      this.#largestReceiving()?.shed("receiving_bytes");
      if (this.#receivingBytes === before) break;
    }
  }

  /** The call's request arrived whole: its bytes are the handler's now, and it is no longer sheddable. */
  received(slot: Slot): void {
    this.#receivingBytes -= this.#receiving.get(slot) ?? 0;
    this.#receiving.delete(slot);
  }

  release(slot: Slot): void {
    this.received(slot);
    this.#slots.delete(slot);
  }

  #largestReceiving(): Slot | undefined {
    let largest: Slot | undefined;
    let most = -1;
    for (const [slot, bytes] of this.#receiving) {
      if (bytes > most) [largest, most] = [slot, bytes];
    }
    return largest;
  }
}
