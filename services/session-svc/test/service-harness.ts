import { fileURLToPath } from "node:url";
import { SessionService } from "@faultmaven/contract/session";
import { startGrpcService } from "@faultmaven/test-kit";

export { failure } from "@faultmaven/test-kit";

/** The service's entry point, started as production starts it. */
export const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Starts session-svc with `env`, and a client for it. */
export function startSessionService(env: Record<string, string>) {
  return startGrpcService(ENTRY, SessionService, env);
}
