/** faultmaven.auth.v1: the auth service contract. */
export * from "./gen/faultmaven/auth/v1/auth_pb.js";
export * from "./gen/faultmaven/auth/v1/auth_service_pb.js";
