import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { Path } from "@bufbuild/protobuf/reflect";
import { createValidator, type Validator, type Violation } from "@bufbuild/protovalidate";
import { InvalidArgumentError, type FieldViolation } from "@faultmaven/errors";

// Compiling the rules of a message is the costly part; the validator caches
// it per message type, so one validator serves the whole process.
let validator: Validator | undefined;

/**
 * Checks a request against the protovalidate rules of its .proto
 * (`buf.validate.field` and friends). Throws INVALID_ARGUMENT with one
 * violation per offending field, named by its proto path in snake_case
 * (`message.content`, `roles[2]`, `context.<key>` for a map entry). A rule
 * that cannot be compiled or evaluated is a bug in the contract, not bad
 * input: that error is rethrown as it is.
 */
export function validateRequest(schema: DescMessage, message: Message): void {
  validator ??= createValidator();
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
