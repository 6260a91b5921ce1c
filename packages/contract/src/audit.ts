/** faultmaven.audit.v1: the audit trail every service serves. */
export * from "./gen/faultmaven/audit/v1/audit_pb.js";
export * from "./gen/faultmaven/audit/v1/audit_service_pb.js";
