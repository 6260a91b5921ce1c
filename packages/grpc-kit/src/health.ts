import type { Server } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";

/**
 * grpc.health.v1 for one process: the overall status ("") and each service
 * name move together, driven by the readiness of the stores the process needs.
 */
export class HealthStatus {
  readonly #health = new HealthImplementation();
  #serving = false;

  constructor(private readonly serviceNames: readonly string[]) {
    this.set(false);
  }

  get serving(): boolean {
    return this.#serving;
  }

  set(serving: boolean): void {
    this.#serving = serving;
    const value = serving ? "SERVING" : "NOT_SERVING";
    for (const name of ["", ...this.serviceNames]) this.#health.setStatus(name, value);
  }

  addToServer(server: Server): void {
    this.#health.addToServer(server);
  }
}
