import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { EnvReader } from "@faultmaven/config";

/** Where the run's figures go; scripts/containers/test.sh prints them at the end. */
export const figuresFile = new EnvReader().string("CONTAINER_FIGURES_FILE") ?? ".tmp/containers/figures.jsonl";

/** Records one figure of the run (image size, time to SERVING, ...). */
export function recordFigure(subject: string, what: string, value: string): void {
  mkdirSync(dirname(figuresFile), { recursive: true });
  appendFileSync(figuresFile, `${JSON.stringify({ subject, what, value })}\n`);
}
