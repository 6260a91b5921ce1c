import type { DescService } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { type ImplementOptions, implement, type UnaryHandlers } from "./implement.js";

/** A service descriptor with its typed handlers, turned into a grpc-js implementation by the bootstrap. */
export interface Binding {
  readonly service: DescService;
  implement(options: ImplementOptions): UntypedServiceImplementation;
}

/** Pairs a generated service with its handlers (type-checked against the contract). */
export function bind<T extends GenServiceMethods>(service: GenService<T>, handlers: UnaryHandlers<T>): Binding {
  return { service, implement: (options) => implement(service, handlers, options) };
}
