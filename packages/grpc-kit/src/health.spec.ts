import { pino } from "pino";
import { HealthStatus } from "./health.js";
import { ReadinessFlag } from "./readiness.js";

/** A logger whose lines the test can read. */
function capturedLogger() {
  const lines: { msg: string; down?: string[] }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

describe("HealthStatus over several readiness sources", () => {
  it("is NOT_SERVING while any source is down, naming the ones that are, and SERVING once all are up", () => {
    const { logger, lines } = capturedLogger();
    const redis = new ReadinessFlag();
    const chromadb = new ReadinessFlag();
    const health = new HealthStatus(["x.v1.X"]).watch({ redis, chromadb }, logger);
    expect(health.serving).toBe(false);
    expect(lines.at(-1)).toMatchObject({ msg: "NOT_SERVING: redis and chromadb are unreachable", down: ["redis", "chromadb"] });

    redis.set(true);
    expect(health.serving).toBe(false);
    expect(lines.at(-1)).toMatchObject({ msg: "NOT_SERVING: chromadb is unreachable", down: ["chromadb"] });

    chromadb.set(true);
    expect(health.serving).toBe(true);
    expect(lines.at(-1)?.msg).toBe("SERVING: every store is ready");

    redis.set(false);
    expect(health.serving).toBe(false);
    expect(health.down).toEqual(["redis"]);
    expect(lines.at(-1)).toMatchObject({ msg: "NOT_SERVING: redis is unreachable", down: ["redis"] });
  });

  it("stays NOT_SERVING after shutDown even when every source comes back", () => {
    const { logger } = capturedLogger();
    const redis = new ReadinessFlag(true);
    const health = new HealthStatus(["x.v1.X"]).watch({ redis }, logger);
    expect(health.serving).toBe(true);
    health.shutDown();
    redis.set(false);
    redis.set(true);
    expect(health.serving).toBe(false);
  });
});
