import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { bufCurl, freePort, RedisServer } from "@faultmaven/test-kit";
import { processEnvironment } from "@faultmaven/config";

/**
 * The README's start command, run as a newcomer runs it (`pnpm start`), with
 * its embedded ChromaDB on a free port and a test Redis: it prints a ready
 * line, all three services answer through reflection, and Ctrl-C stops it.
 */
it("pnpm start runs the whole suite, answers on every service and stops on Ctrl-C", async () => {
  const redis = await RedisServer.start();
  const chromaPort = await freePort();
  const child = spawn("pnpm", ["start"], {
    env: { ...processEnvironment(), ...redis.env, CHROMA_PORT: String(chromaPort), CHROMA_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const output: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line:\n${output.join("\n")}`)), 60_000);
      const onLine = (line: string) => {
        output.push(line);
        if (line.startsWith("ready:")) {
          clearTimeout(timer);
          resolve();
        }
      };
      createInterface({ input: child.stdout! }).on("line", onLine);
      createInterface({ input: child.stderr! }).on("line", onLine);
      child.once("exit", (code) => reject(new Error(`pnpm start exited with ${code}:\n${output.join("\n")}`)));
    });
    expect(output.join("\n")).toContain(`[chromadb] embedded, listening on http://127.0.0.1:${chromaPort}`);

    const session = await bufCurl("127.0.0.1:50051", "/faultmaven.session.v1.SessionService/CreateSession", {
      user_id: "newcomer",
      client_id: "laptop",
    });
    expect(JSON.parse(session.stdout)).toMatchObject({ session: { userId: "newcomer" } });
    const user = await bufCurl("127.0.0.1:50052", "/faultmaven.auth.v1.AuthService/CreateUser", {
      username: "newcomer",
      email: "new@example.com",
      password: "a long passphrase",
    });
    expect(JSON.parse(user.stdout)).toMatchObject({ user: { username: "newcomer" } });
    const report = await bufCurl("127.0.0.1:50053", "/faultmaven.report.v1.ReportService/SaveReport", {
      case_id: "case_1",
      type: "REPORT_TYPE_RUNBOOK",
      content: "Restart the ingest workers.",
      created_by: "user_def456",
    });
    expect(JSON.parse(report.stdout)).toMatchObject({ report: { version: 1, isCurrent: true } });
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGINT");
    expect(await exited).toBe(0);
    await redis.close();
  }
  expect(output.join("\n")).toContain("[report-svc] stopped");
}, 120_000);
