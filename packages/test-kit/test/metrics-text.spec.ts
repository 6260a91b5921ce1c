import { metricIn, parseMetrics } from "../src/metrics-text.js";

const PAGE = `# HELP calls_total Calls.
# TYPE calls_total counter
calls_total{method="Get",code="OK",service="svc"} 3
calls_total{method="Get",code="NOT_FOUND",service="svc"} 2
calls_total{method="GetAll",code="OK",service="svc"} 7
calls_total_bytes{method="Get",service="svc"} 100
calls{service="svc"} 40
# TYPE open gauge
open 5
quoted{path="a\\"b}c\\\\d\\ne"} 1.5 1700000000000
ceiling{le="+Inf"} +Inf
`;

it("parses each sample's name, labels (unescaped) and value, skipping comments", () => {
  const samples = parseMetrics(PAGE);
  expect(samples).toHaveLength(8);
  expect(samples[0]).toEqual({ name: "calls_total", labels: { method: "Get", code: "OK", service: "svc" }, value: 3 });
  expect(samples[5]).toEqual({ name: "open", labels: {}, value: 5 });
  expect(samples[6]).toEqual({ name: "quoted", labels: { path: 'a"b}c\\d\ne' }, value: 1.5 });
  expect(samples[7]).toEqual({ name: "ceiling", labels: { le: "+Inf" }, value: Number.POSITIVE_INFINITY });
});

it("sums only the samples named exactly so, never a longer or shorter name", () => {
  expect(metricIn(PAGE, "calls_total")).toBe(12);
  expect(metricIn(PAGE, "calls")).toBe(40);
  expect(metricIn(PAGE, "calls_total_bytes")).toBe(100);
});

it("matches label values exactly, whatever the order of the labels, and ignores labels not asked for", () => {
  expect(metricIn(PAGE, "calls_total", { code: "OK", method: "Get" })).toBe(3);
  expect(metricIn(PAGE, "calls_total", { method: "Get" })).toBe(5);
  expect(metricIn(PAGE, "calls_total", { method: "Ge" })).toBeUndefined();
});

it("is undefined when no sample matches", () => {
  expect(metricIn(PAGE, "absent_total")).toBeUndefined();
  expect(metricIn(PAGE, "calls_total", { code: "INTERNAL" })).toBeUndefined();
});
