/** faultmaven.session.v1: the session service contract. */
export * from "./gen/faultmaven/session/v1/session_pb.js";
export * from "./gen/faultmaven/session/v1/session_service_pb.js";
