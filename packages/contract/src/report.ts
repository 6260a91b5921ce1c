/** faultmaven.report.v1: the report service contract. */
export * from "./gen/faultmaven/report/v1/report_pb.js";
export * from "./gen/faultmaven/report/v1/report_service_pb.js";
