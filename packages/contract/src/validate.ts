/**
 * faultmaven.validate.v1: the predefined protovalidate rules (key_part,
 * session_id, context_key, ...) the other packages' fields use. A validator
 * applies them only when its registry holds this file's extensions.
 */
export * from "./gen/faultmaven/validate/v1/rules_pb.js";
