import { create, type DescMethod, toBinary } from "@bufbuild/protobuf";

/** One hot call under test: the method and the request h2load repeats (protobuf bytes). */
export interface HotCall {
  readonly name: string;
  readonly method: DescMethod;
  /** The HTTP/2 path: /package.Service/Method. */
  readonly path: string;
  readonly request: Uint8Array;
}

/** A hot call of `method` with the request built from `init`. */
export function hotCall(method: DescMethod, init: Record<string, unknown>): HotCall {
  return {
    name: `${method.parent.name} ${method.name}`,
    method,
    path: `/${method.parent.typeName}/${method.name}`,
    request: toBinary(method.input, create(method.input, init)),
  };
}
