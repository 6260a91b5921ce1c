/** Third-party protos the services speak: google.rpc error details and grpc.health.v1. */
export * from "./gen/google/rpc/status_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
export * from "./gen/grpc/health/v1/health_pb.js";
