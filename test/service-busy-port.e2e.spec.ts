import { fileURLToPath } from "node:url";
import { freePorts, occupyPorts, ServiceProcess } from "@faultmaven/test-kit";

const SESSION_MAIN = fileURLToPath(new URL("../services/session-svc/src/main.ts", import.meta.url));

/** A service started on its own (no `pnpm start` in front) still says which address is taken and what to set. */
describe("a service whose port is taken", () => {
  it.each([
    ["gRPC", "GRPC_PORT"],
    ["metrics", "METRICS_PORT"],
  ])("exits 1 naming the busy %s address and %s", async (what, variable) => {
    const [port] = await freePorts(1);
    const taken = await occupyPorts([port!]);
    try {
      const { code, output } = await ServiceProcess.runToExit(SESSION_MAIN, { SESSION_STORAGE_TYPE: "inmemory", [variable]: String(port) });
      expect(code).toBe(1);
      expect(output).toContain(
        `start failed: ${what} port 127.0.0.1:${port} is already in use by another process (set ${variable} to another port, or 0 for a free one)`,
      );
    } finally {
      await taken.release();
    }
  });
});
