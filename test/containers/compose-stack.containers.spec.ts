import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, waitFor } from "@faultmaven/test-kit";
import { call } from "./buf-curl-json.js";
import { dockerCompose, inspect } from "./docker.js";
import { recordFigure } from "./figures.js";
import { serviceImage } from "./service-image.js";

/**
 * Drops the `ports:` blocks of `docker-compose config` output: a host-network
 * container publishes no ports, and docker-compose 1.29 refuses the two
 * together (an override file can add list entries but not remove them).
 */
function withoutPublishedPorts(config: string): string {
  const kept: string[] = [];
  let portsIndent = -1;
  for (const line of config.split("\n")) {
    const indent = line.length - line.trimStart().length;
    if (portsIndent >= 0 && (indent > portsIndent || (indent === portsIndent && line.trimStart().startsWith("- ")))) continue;
    portsIndent = line.trim() === "ports:" ? indent : -1;
    if (portsIndent < 0) kept.push(line);
  }
  return kept.join("\n");
}

/**
 * The whole suite from docker-compose.yml, with test/containers/compose.host-network.yml
 * moving it onto loopback ports with host networking (these machines have no
 * bridge network).
 */
describe("the docker-compose.yml stack", () => {
  const project = `fmct${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "fm-ct-compose-"));
  const files = ["-p", project, "-f", join(dir, "docker-compose.yml")];
  const services = ["session-svc", "auth-svc", "report-svc"] as const;
  let variables: Record<string, string>;
  const address: Record<string, string> = {};

  const compose = (...args: string[]) => dockerCompose(variables, ...files, "--project-directory", process.cwd(), ...args);
  const containerOf = async (service: string) => compose("ps", "-q", service);

  beforeAll(async () => {
    for (const service of services) await serviceImage(service);
    const [redis, chroma, session, sessionMetrics, auth, authMetrics, report, reportMetrics] = (await freePorts(8)).map(String);
    variables = {
      REDIS_PORT: redis!,
      CHROMA_PORT: chroma!,
      SESSION_PORT: session!,
      SESSION_METRICS_PORT: sessionMetrics!,
      AUTH_PORT: auth!,
      AUTH_METRICS_PORT: authMetrics!,
      REPORT_PORT: report!,
      REPORT_METRICS_PORT: reportMetrics!,
    };
    const merged = await dockerCompose(variables, "-f", "docker-compose.yml", "-f", "test/containers/compose.host-network.yml", "config");
    writeFileSync(join(dir, "docker-compose.yml"), withoutPublishedPorts(merged));
    Object.assign(address, { "session-svc": `127.0.0.1:${session}`, "auth-svc": `127.0.0.1:${auth}`, "report-svc": `127.0.0.1:${report}` });
  }, 900_000);

  afterAll(async () => {
    await compose("down", "-v", "--timeout", "15");
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("comes up: Redis and the three services turn healthy", async () => {
    const started = performance.now();
    await compose("up", "-d", "--no-build");
    for (const service of ["redis", ...services]) {
      const id = await containerOf(service);
      await waitFor(`${service} to turn healthy`, async () => (await inspect(id, "{{.State.Health.Status}}")) === "healthy", 90_000, 250);
    }
    recordFigure("compose stack", "up to all healthy", `${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it("carries one flow across all three services: login, a session for that user, a report for its case", async () => {
    const password = "a long passphrase";
    const auth = "/faultmaven.auth.v1.AuthService";
    const session = "/faultmaven.session.v1.SessionService";
    const report = "/faultmaven.report.v1.ReportService";

    await call(address["auth-svc"]!, `${auth}/CreateUser`, { username: "alice", email: "alice@example.com", password });
    const { token } = await call(address["auth-svc"]!, `${auth}/Login`, { username: "alice", password });
    const { userId } = await call(address["auth-svc"]!, `${auth}/ValidateToken`, { token });
    expect(userId).toMatch(/^usr_/);

    const created = await call(address["session-svc"]!, `${session}/CreateSession`, { user_id: userId, client_id: "stack_test" });
    const sessionId: string = created.session.sessionId;
    await call(address["session-svc"]!, `${session}/UpdateSession`, {
      session: { session_id: sessionId, case_id: "case_stack" },
      update_mask: "caseId",
    });

    const { session: current } = await call(address["session-svc"]!, `${session}/GetSession`, { session_id: sessionId });
    expect(current).toMatchObject({ userId, caseId: "case_stack" });
    const saved = await call(address["report-svc"]!, `${report}/SaveReport`, {
      case_id: current.caseId,
      type: "REPORT_TYPE_RCA_REPORT",
      status: "REPORT_STATUS_FINAL",
      content: "Root cause: the disk filled with WAL",
      created_by: current.userId,
    });

    const listed = await call(address["report-svc"]!, `${report}/ListCaseReports`, { case_id: "case_stack" });
    expect(listed.reports).toEqual([expect.objectContaining({ reportId: saved.report.reportId, createdBy: userId })]);
    const { report: stored } = await call(address["report-svc"]!, `${report}/GetReport`, {
      report_id: saved.report.reportId,
      include_content: true,
    });
    expect(stored).toMatchObject({ caseId: "case_stack", createdBy: userId, content: "Root cause: the disk filled with WAL" });
  });

  it("stops: every service drains and exits 0", async () => {
    await compose("stop", "--timeout", "15", ...services);
    for (const service of services) {
      expect(`${service} exit ${await inspect(await containerOf(service), "{{.State.ExitCode}}")}`).toBe(`${service} exit 0`);
    }
  });
});
