import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { file_google_rpc_error_details, file_google_rpc_status, file_grpc_health_v1_health } from "@faultmaven/contract/rpc";

/**
 * Serves grpc.reflection (v1 and v1alpha) for the given services,
 * grpc.health.v1 and the google.rpc error details, so grpcurl and `buf curl`
 * can list and call methods, and decode error details, without the .proto
 * files. @grpc/reflection normally takes a proto-loader
 * package definition; it only reads `fileDescriptorProtos` from it, so we
 * feed it the serialized descriptors protobuf-es embeds.
 */
export function addReflection(server: Server, services: readonly DescService[]): void {
  const files = new Map<string, Uint8Array>();
  const collect = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, toBinary(FileDescriptorProtoSchema, file.proto));
    for (const dependency of file.dependencies) collect(dependency);
  };
  for (const service of services) collect(service.file);
  collect(file_grpc_health_v1_health);
  // No service names these, but every error carries them as Any details: served so
  // grpcurl and buf curl can decode grpc-status-details-bin instead of printing base64.
  collect(file_google_rpc_status);
  collect(file_google_rpc_error_details);
  const definition = { all: { fileDescriptorProtos: [...files.values()].map((bytes) => Buffer.from(bytes)) } };
  const reflection = new ReflectionService(definition as never, {
    services: [...services.map((s) => s.typeName), "grpc.health.v1.Health"],
  });
  reflection.addToServer(server);
}
