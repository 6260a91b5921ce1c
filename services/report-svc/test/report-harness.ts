import { fileURLToPath } from "node:url";
import { ReportService } from "@faultmaven/contract/report";
import { startGrpcService } from "@faultmaven/test-kit";

export { failure } from "@faultmaven/test-kit";

/** The service's entry point, started as production starts it. */
export const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Starts report-svc with `env`, and a client for it. */
export function startReportService(env: Record<string, string>) {
  return startGrpcService(ENTRY, ReportService, env);
}
