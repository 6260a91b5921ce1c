import type { DescField, DescMethod } from "@bufbuild/protobuf";
import type { IdentityMatcher } from "./identity-pattern.js";

/** The access rules of one service's methods, by method name. */
export type ServiceAccess = (methodName: string) => MethodAccess | undefined;

/**
 * Who may call one method, and who may change each guarded field of it
 * (a path of the request's update_mask, such as UpdateUser's `roles`).
 */
export class MethodAccess {
  readonly #callers: IdentityMatcher[] = [];
  readonly #fields = new Map<string, IdentityMatcher[]>();
  /** The request's update_mask field (its localName), when it has one. */
  readonly #mask: string | undefined;

  constructor(private readonly method: DescMethod) {
    this.#mask = method.input.fields.find((f) => f.name === "update_mask" && messageOf(f) === "google.protobuf.FieldMask")?.localName;
  }

  allow(callers: readonly IdentityMatcher[]): void {
    this.#callers.push(...callers);
  }

  /** Lets only `callers` change `field`; returns a problem when the method cannot change such a field. */
  guardField(field: string, callers: readonly IdentityMatcher[]): string | undefined {
    if (this.#mask === undefined) return `${this.method.name} has no update_mask, so it has no fields to guard`;
    const changeable = this.method.input.fields.some((f) => f.fieldKind === "message" && f.message.fields.some((g) => g.name === field));
    if (!changeable) return `${this.method.name} changes no field named "${field}"`;
    const guard = this.#fields.get(field) ?? [];
    guard.push(...callers);
    this.#fields.set(field, guard);
    return undefined;
  }

  /**
   * The policy entry that refuses this caller this request: the method's
   * name, or `Method.field` for a guarded field the request's update_mask
   * names; undefined when the call is allowed.
   */
  refusal(identity: string | undefined, request: object): string | undefined {
    if (!this.#callers.some((matches) => matches(identity))) return this.method.name;
    if (this.#mask === undefined || this.#fields.size === 0) return undefined;
    const paths = (request as Record<string, { paths?: readonly string[] } | undefined>)[this.#mask]?.paths ?? [];
    for (const path of paths) {
      const field = path.split(".", 1)[0] ?? "";
      const guard = this.#fields.get(field);
      if (guard !== undefined && !guard.some((matches) => matches(identity))) return `${this.method.name}.${field}`;
    }
    return undefined;
  }
}

function messageOf(field: DescField): string | undefined {
  return field.fieldKind === "message" ? field.message.typeName : undefined;
}
