import { describeServiceContainer } from "./service-container-suite.js";
import { authFlow } from "./service-flows.js";

describeServiceContainer({
  service: "auth-svc",
  env: () => ({ AUTH_STORAGE_TYPE: "redis" }),
  needsChroma: false,
  mainFlow: authFlow,
});
