import { callEndReason, callOverError, currentCallScope, onCallEnd } from "@faultmaven/call-scope";
import { PasswordHashingBusyError } from "./errors.js";

/**
 * Who an argon2 run is for. `login`: an anonymous Login (anyone can send
 * many). `account`: authenticated or administrative work (CreateUser,
 * ChangePassword), which a login flood must not starve.
 */
export type HashingLane = "login" | "account";

export const HASHING_LANES: readonly HashingLane[] = ["account", "login"];

/** AUTH_PASSWORD_HASH_CONCURRENCY, AUTH_PASSWORD_HASH_QUEUE and AUTH_PASSWORD_HASH_ACCOUNT_QUEUE. */
export interface HashingLimits {
  /** argon2 runs at once (each takes one libuv thread and one core for ~20 ms). */
  readonly concurrency: number;
  /** Login runs waiting for a slot; one more is refused PASSWORD_HASHING_BUSY. */
  readonly queue: number;
  /** Account runs waiting for a slot, in their own queue that logins cannot fill; one more is refused. */
  readonly accountQueue: number;
}

/**
 * Slots handed to account runs in a row while a login waits, before one goes
 * to a login: account work goes first, but a steady stream of it (a client
 * cycling wrong current passwords through ChangePassword) cannot hold every
 * login until its deadline.
 */
export const ACCOUNT_RUNS_BEFORE_A_LOGIN = 3;

interface Waiter {
  readonly start: () => void;
}

/**
 * Bounded concurrency for argon2: at most `concurrency` runs at once; beyond
 * that a run waits in its lane's queue, or is refused at once (RESOURCE_EXHAUSTED
 * PASSWORD_HASHING_BUSY) when that queue is full, so a login flood leaves
 * CPU for every other call. A freed slot goes to the account queue first,
 * then to the login queue (each first come, first served), except that after
 * ACCOUNT_RUNS_BEFORE_A_LOGIN account runs in a row a waiting login gets the
 * next one: logins can fill only their own queue, an account run waits for
 * at most one running run and one login, and a login gets at least one slot
 * in ACCOUNT_RUNS_BEFORE_A_LOGIN + 1 whatever the account work. A waiting run whose call ends (deadline, cancellation)
 * leaves its queue without running.
 */
export class HashingSlots {
  #running = 0;
  /** Account runs handed a slot in a row while a login was waiting. */
  #accountStreak = 0;
  readonly #waiting: Record<HashingLane, Set<Waiter>> = { account: new Set(), login: new Set() };

  constructor(
    readonly limits: HashingLimits,
    /** Told of each run as it starts (the password_hash_runs_total metric). */
    private readonly onRun: (lane: HashingLane) => void = () => {},
  ) {}

  get running(): number {
    return this.#running;
  }

  /** Runs waiting in `lane`'s queue, or in both when no lane is given. */
  waiting(lane?: HashingLane): number {
    if (lane) return this.#waiting[lane].size;
    return this.#waiting.account.size + this.#waiting.login.size;
  }

  async run<T>(lane: HashingLane, work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limits.concurrency) await this.#slot(lane);
    else this.#running++;
    try {
      this.onRun(lane);
      return await work();
    } finally {
      this.#release();
    }
  }

  /** Waits for a slot handed over by a finishing run (which keeps #running as it is for us). */
  #slot(lane: HashingLane): Promise<void> {
    const queue = this.#waiting[lane];
    const limit = lane === "account" ? this.limits.accountQueue : this.limits.queue;
    if (queue.size >= limit) return Promise.reject(new PasswordHashingBusyError());
    const scope = currentCallScope();
    const over = callOverError(scope);
    if (over) return Promise.reject(over);
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        queue.delete(waiter);
        reject(callOverError(scope) ?? callEndReason(scope!));
      };
      const stopListening = scope === undefined ? undefined : onCallEnd(scope, leave);
      const waiter: Waiter = {
        start: () => {
          stopListening?.();
          resolve();
        },
      };
      queue.add(waiter);
    });
  }

  #release(): void {
    const loginsWait = this.#waiting.login.size > 0;
    const order: readonly HashingLane[] =
      loginsWait && this.#accountStreak >= ACCOUNT_RUNS_BEFORE_A_LOGIN ? ["login", "account"] : HASHING_LANES;
    for (const lane of order) {
      const next = this.#waiting[lane].values().next();
      if (next.done) continue;
      this.#accountStreak = lane === "account" && loginsWait ? this.#accountStreak + 1 : 0;
      this.#waiting[lane].delete(next.value);
      next.value.start();
      return;
    }
    this.#running--;
  }
}
