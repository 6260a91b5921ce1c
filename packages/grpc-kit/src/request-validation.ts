import type { DescMessage, Message } from "@bufbuild/protobuf";

/**
 * Checks a request against the validation rules of its schema and throws
 * InvalidArgumentError naming the field. Placeholder until the protovalidate
 * version lands: accepts everything (handlers still validate).
 */
export function validateRequest(_schema: DescMessage, _message: Message): void {}
