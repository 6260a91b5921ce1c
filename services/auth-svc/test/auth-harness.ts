import { fileURLToPath } from "node:url";
import { AuthService } from "@faultmaven/contract/auth";
import { startGrpcService } from "@faultmaven/test-kit";

export { failure } from "@faultmaven/test-kit";

/** The service's entry point, started as production starts it. */
export const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Starts auth-svc with `env`, and a client for it. */
export function startAuthService(env: Record<string, string>) {
  return startGrpcService(ENTRY, AuthService, env);
}
