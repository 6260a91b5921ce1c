import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, freePorts, makeTestPki, type TestPki } from "@faultmaven/test-kit";
import { eventually } from "./buf-curl-json.js";
import { ChromaContainer } from "./chroma-container.js";
import { docker, inspect } from "./docker.js";
import { recordFigure } from "./figures.js";
import { RedisContainer } from "./redis-container.js";
import { ServiceContainer } from "./service-container.js";
import type { MainFlow } from "./service-flows.js";
import { serviceImage, type ServiceName } from "./service-image.js";

/** What differs between the services' container tests. */
export interface ServiceContainerSuite {
  readonly service: ServiceName;
  /** Variables beyond the ports and Redis's address (the storage choice, CHROMA_URL). */
  readonly env: (chromaUrl: string | undefined) => Record<string, string>;
  readonly needsChroma: boolean;
  readonly mainFlow: MainFlow;
}

/** Seconds `docker stop` waits before SIGKILL; the service's own drain grace is 10 s (GRPC_SHUTDOWN_GRACE_MS). */
const stopGraceSeconds = 15;

/**
 * One service's production image against a Redis container (and a ChromaDB
 * container for report-svc), tested as users run it.
 */
export function describeServiceContainer(suite: ServiceContainerSuite): void {
  describe(`${suite.service} in its container`, () => {
    let image: string;
    let redis: RedisContainer | undefined;
    let chroma: ChromaContainer | undefined;
    let service: ServiceContainer;
    let stillThere: () => Promise<void>;
    const started: ServiceContainer[] = [];
    const tlsDirs: string[] = [];
    const pkis: TestPki[] = [];

    beforeAll(async () => {
      image = await serviceImage(suite.service);
      const [redisPort, chromaPort] = await freePorts(2);
      redis = new RedisContainer(redisPort!);
      await redis.start();
      if (suite.needsChroma) {
        chroma = new ChromaContainer(chromaPort!);
        await chroma.start();
      }
    }, 900_000);

    afterAll(async () => {
      for (const container of started) await container.remove();
      await redis?.remove();
      await chroma?.remove();
      for (const dir of tlsDirs) rmSync(dir, { recursive: true, force: true });
      for (const pki of pkis) pki.remove();
    });

    function container(env: Record<string, string> = {}, tlsDir?: string): ServiceContainer {
      // Production without a policy file must be told to allow every caller (plaintext tests, no identities).
      const base = {
        REDIS_HOST: "127.0.0.1",
        REDIS_PORT: String(redis!.port),
        AUTHZ_ALLOW_ALL_CALLERS: "true",
        ...suite.env(chroma?.url),
      };
      const made = new ServiceContainer({ image, env: { ...base, ...env }, ...(tlsDir ? { tlsDir } : {}) });
      started.push(made);
      return made;
    }

    it("runs as the non-root user on a read-only root filesystem and reaches SERVING", async () => {
      service = container();
      await service.start();
      const ms = await service.waitServing();
      recordFigure(suite.service, "time to SERVING", `${(ms / 1000).toFixed(1)} s`);
      expect(await inspect(service.name, "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}")).toBe("node true");
      // The service's own process (PID 1), not just the image's setting.
      expect(
        await docker(
          "exec",
          service.name,
          "node",
          "-e",
          "console.log(require('fs').readFileSync('/proc/1/status','utf8').match(/^Uid:\\s+(\\d+)/m)[1])",
        ),
      ).toBe("1000");
      await expect(docker("exec", service.name, "touch", "/app/written")).rejects.toThrow(/Read-only file system/);
    });

    it("does its main flow through buf curl", async () => {
      stillThere = await suite.mainFlow(service.address);
    });

    it("turns healthy by the image's own healthcheck", async () => {
      await service.waitHealthy();
    });

    it("still has what it wrote after its Redis container is replaced by one on the same AOF volume", async () => {
      await redis!.replace();
      await eventually(stillThere);
    });

    it(`drains on docker stop and exits 0 within the grace period (${stopGraceSeconds} s)`, async () => {
      const { ms, exitCode } = await service.stop(stopGraceSeconds);
      recordFigure(suite.service, "docker stop", `${(ms / 1000).toFixed(1)} s`);
      expect(exitCode).toBe(0);
      expect(ms).toBeLessThan(stopGraceSeconds * 1000);
      const log = await service.logs();
      expect(log).toContain('"reason":"SIGTERM"');
      expect(log).toContain('"msg":"stopped"');
    });

    it("serves gRPC over mutual TLS, and its healthcheck turns healthy over it", async () => {
      const pki = await makeTestPki();
      pkis.push(pki);
      // Readable by the image's user (uid 1000), mounted read-only.
      const dir = mkdtempSync(join(tmpdir(), "fm-ct-tls-"));
      tlsDirs.push(dir);
      copyFileSync(pki.serverCert, join(dir, "server.crt"));
      copyFileSync(pki.serverKey, join(dir, "server.key"));
      copyFileSync(pki.caCert, join(dir, "ca.crt"));
      for (const file of ["", "server.crt", "server.key", "ca.crt"]) chmodSync(join(dir, file), file ? 0o644 : 0o755);
      const tls = container(
        { GRPC_TLS_CERT_FILE: "/tls/server.crt", GRPC_TLS_KEY_FILE: "/tls/server.key", GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.crt" },
        dir,
      );
      await tls.start();
      await tls.waitHealthy();
      expect(await tls.logs()).not.toContain("gRPC is PLAINTEXT");
      expect((await tls.stop(stopGraceSeconds)).exitCode).toBe(0);
    });

    it("in production without Redis, exits non-zero with a message naming Redis's address", async () => {
      const nothingThere = await freePort();
      const orphan = container({ REDIS_PORT: String(nothingThere) });
      await orphan.start();
      expect(await orphan.waitExit()).not.toBe(0);
      const log = await orphan.logs();
      expect(log).toContain(`Redis is unreachable at 127.0.0.1:${nothingThere}`);
      expect(log).toContain("ENVIRONMENT=production requires Redis");
    });
  });
}
