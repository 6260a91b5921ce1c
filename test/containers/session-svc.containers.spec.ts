import { describeServiceContainer } from "./service-container-suite.js";
import { sessionFlow } from "./service-flows.js";

describeServiceContainer({
  service: "session-svc",
  env: () => ({ SESSION_STORAGE_TYPE: "redis" }),
  needsChroma: false,
  mainFlow: sessionFlow,
});
