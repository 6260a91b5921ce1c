import { createRegistry, type DescMessage, type Message } from "@bufbuild/protobuf";
import type { Path } from "@bufbuild/protobuf/reflect";
import { createValidator, type Validator, type Violation } from "@bufbuild/protovalidate";
import { file_faultmaven_validate_v1_rules } from "@faultmaven/contract/validate";
import { InvalidArgumentError, type FieldViolation } from "@faultmaven/errors";

// Compiling the rules of a message is the costly part; the validator caches
// it per message type, so one validator serves the whole process.
let validator: Validator | undefined;

/**
 * The contract's predefined rules (faultmaven.validate.v1: key_part,
 * session_id, ...) are extensions of buf.validate.StringRules: protovalidate
 * applies them only when its registry holds them, and otherwise fails every
 * call with a CompilationError.
 */
function newValidator(): Validator {
  return createValidator({ registry: createRegistry(file_faultmaven_validate_v1_rules) });
}

/**
 * Checks a request against the protovalidate rules of its .proto
 * (`buf.validate.field` and friends, and the predefined rules of
 * faultmaven.validate.v1). Throws INVALID_ARGUMENT with one
 * violation per offending field, named by its proto path in snake_case
 * (`message.content`, `roles[2]`, `context.<key>` for a map entry). A rule
 * that cannot be compiled or evaluated is a bug in the contract, not bad
 * input: that error is rethrown as it is.
 */
export function validateRequest(schema: DescMessage, message: Message): void {
  validator ??= newValidator();
  const result = validator.validate(schema, message as never);
  if (result.kind === "valid") return;
  if (result.kind === "error") throw result.error;
  throw new InvalidArgumentError(groupByField(result.violations));
}

/** Merges the violations of one field into one entry, in the order the fields were found. */
function groupByField(violations: readonly Violation[]): FieldViolation[] {
  const byField = new Map<string, string[]>();
  for (const violation of violations) {
    const field = fieldPath(violation.field);
    const description = violation.forKey ? `key: ${violation.message}` : violation.message;
    const descriptions = byField.get(field) ?? [];
    if (!descriptions.includes(description)) descriptions.push(description);
    byField.set(field, descriptions);
  }
  return [...byField].map(([field, descriptions]) => ({ field, description: descriptions.join("; ") }));
}

/** `session.context.my_key`, `user.roles[1]`: proto names joined by dots, list indices in brackets. */
export function fieldPath(path: Path): string {
  let text = "";
  for (const item of path) {
    switch (item.kind) {
      case "list_sub":
        text += `[${item.index}]`;
        break;
      case "map_sub":
        text += `.${String(item.key)}`;
        break;
      default:
        text += (text === "" ? "" : ".") + item.name;
    }
  }
  return text;
}
