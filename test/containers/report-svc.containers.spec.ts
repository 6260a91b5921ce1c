import { describeServiceContainer } from "./service-container-suite.js";
import { reportFlow } from "./service-flows.js";

describeServiceContainer({
  service: "report-svc",
  env: (chromaUrl) => ({ CHROMA_URL: chromaUrl! }),
  needsChroma: true,
  mainFlow: reportFlow,
});
