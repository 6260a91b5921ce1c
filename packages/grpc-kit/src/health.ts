import type { Server } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import type { ReadinessSource } from "./readiness.js";

/**
 * grpc.health.v1 for one process: the overall status ("") and each service
 * name move together. SERVING only while every readiness source the process
 * watches is ready (report-svc needs Redis AND ChromaDB); once shut down it
 * stays NOT_SERVING whatever the sources do.
 */
export class HealthStatus {
  readonly #health = new HealthImplementation();
  readonly #sources = new Map<string, ReadinessSource>();
  #serving = false;
  #shutDown = false;

  constructor(private readonly serviceNames: readonly string[]) {
    this.#publish(false);
  }

  get serving(): boolean {
    return this.#serving;
  }

  /** The names of the watched sources that are not ready now. */
  get down(): string[] {
    return [...this.#sources].filter(([, source]) => !source.ready).map(([name]) => name);
  }

  /**
   * Follows named readiness sources: SERVING while all are ready, otherwise
   * NOT_SERVING with one log line naming the ones that are down.
   */
  watch(sources: Readonly<Record<string, ReadinessSource>>, logger: Logger): this {
    for (const [name, source] of Object.entries(sources)) {
      this.#sources.set(name, source);
      source.on("change", () => this.#update(logger));
    }
    this.#update(logger);
    return this;
  }

  /** Sets the status directly (a process that watches no sources). */
  set(serving: boolean): void {
    if (!this.#shutDown) this.#publish(serving);
  }

  /** NOT_SERVING for good: the process is draining. */
  shutDown(): void {
    this.#publish(false);
    this.#shutDown = true;
  }

  addToServer(server: Server): void {
    this.#health.addToServer(server);
  }

  #update(logger: Logger): void {
    if (this.#shutDown) return;
    const down = this.down;
    const serving = down.length === 0;
    if (serving === this.#serving && serving) return;
    if (serving) logger.info({ ready: [...this.#sources.keys()] }, "SERVING: every store is ready");
    else logger.warn({ down }, `NOT_SERVING: ${down.join(" and ")} ${down.length === 1 ? "is" : "are"} unreachable`);
    this.#publish(serving);
  }

  #publish(serving: boolean): void {
    this.#serving = serving;
    const value = serving ? "SERVING" : "NOT_SERVING";
    for (const name of ["", ...this.serviceNames]) this.#health.setStatus(name, value);
  }
}
