import { SessionService } from "@faultmaven/contract/session";
import { createLogger, HealthStatus, implement, runMain, serve } from "@faultmaven/grpc-kit";
import { readSessionConfig } from "./config.js";
import { sessionHandlers } from "./grpc/session-handlers.js";
import { openStore } from "./open-store.js";

const logger = createLogger("session-svc");

runMain(logger, async () => {
  const config = readSessionConfig();
  const health = new HealthStatus([SessionService.typeName]);
  const { store, close } = await openStore(config, health, logger);
  await serve({
    services: [{ service: SessionService, implementation: implement(SessionService, sessionHandlers(store), { logger }) }],
    config: config.server,
    health,
    logger,
    environment: config.environment,
    onShutdown: close,
  });
});
