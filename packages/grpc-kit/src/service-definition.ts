import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { decodeRequest } from "./undecodable-request.js";

/**
 * Derives a grpc-js ServiceDefinition from a protobuf-es service descriptor
 * (protobuf-es v2 generates no grpc-js stubs). Keys are the methods'
 * localName (camelCase), as grpc-js clients expect.
 */
export function toServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      // Never throws: undecodable bytes reach the pipeline, which answers INVALID_ARGUMENT.
      requestDeserialize: (bytes: Buffer) => decodeRequest(method.input, bytes),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
    };
  }
  return definition;
}

function serializer<D extends DescMessage>(schema: D) {
  return (message: unknown) => Buffer.from(toBinary(schema, message as MessageShape<D>));
}

function deserializer<D extends DescMessage>(schema: D) {
  return (bytes: Buffer) => fromBinary(schema, bytes);
}
