import { readFileSync } from "node:fs";
import type { DescService } from "@bufbuild/protobuf";
import { ConfigError } from "@faultmaven/config";
import { ANYONE, compileIdentityPattern, type IdentityMatcher } from "./identity-pattern.js";
import { MethodAccess, type ServiceAccess } from "./method-access.js";

/** The variable naming the policy file. */
export const POLICY_VARIABLE = "AUTHZ_POLICY_FILE";

/** A policy file larger than this is refused (a policy is a few kilobytes). */
const MAX_POLICY_BYTES = 1024 * 1024;

/** One rule: these callers may call these methods (or change these fields: `UpdateUser.roles`). */
interface Rule {
  readonly where: string;
  readonly methods: readonly string[];
  readonly allow: readonly IdentityMatcher[];
}

/**
 * The authorization policy (docs/operations.md, "Authorization"): a JSON
 * file, read once at start, saying which caller identities may call which
 * methods of which service. Rules only grant: a call is allowed when some
 * rule of its service names its method (or `*`) and matches the caller;
 * a method no rule names is denied. A rule naming `Method.field` guards a
 * change of that field (a path of the request's update_mask) on top of
 * the method's own rules.
 */
export class AuthzPolicy {
  private constructor(
    readonly file: string,
    private readonly trust: readonly IdentityMatcher[],
    private readonly services: ReadonlyMap<string, readonly Rule[]>,
  ) {}

  /** Reads and checks the file; a ConfigError names the file and the offending entry. */
  static load(file: string): AuthzPolicy {
    let text: string;
    try {
      const bytes = readFileSync(file);
      if (bytes.length > MAX_POLICY_BYTES) throw new Error(`larger than ${MAX_POLICY_BYTES} bytes`);
      text = bytes.toString("utf8");
    } catch (error) {
      throw new ConfigError(POLICY_VARIABLE, `cannot read ${file}: ${(error as Error).message}`);
    }
    return AuthzPolicy.parse(text, file);
  }

  /** Parses policy text; `file` names it in errors. */
  static parse(text: string, file: string): AuthzPolicy {
    const fail = (where: string, problem: string): never => {
      throw new ConfigError(POLICY_VARIABLE, `${file}: ${where === "" ? "" : `${where}: `}${problem}`);
    };
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return fail("", `not valid JSON (${(error as Error).message})`);
    }
    const top = object(document, "", fail);
    known(top, ["trustClientAddressFrom", "services"], "", fail);
    const trusted = top.trustClientAddressFrom ?? [];
    // End users must never name their own address: only identified callers can be trusted with it.
    if (Array.isArray(trusted) && trusted.includes(ANYONE))
      fail("trustClientAddressFrom", `${ANYONE} cannot be trusted to name the client address`);
    const trust = patterns(trusted, "trustClientAddressFrom", fail);
    const services = new Map<string, Rule[]>();
    for (const [service, rules] of Object.entries(object(top.services, "services", fail))) {
      const at = `services["${service}"]`;
      if (!/^[A-Za-z_][\w.]*$/.test(service)) fail(at, "must be a full service name, e.g. faultmaven.auth.v1.AuthService");
      services.set(
        service,
        list(rules, at, fail).map((raw, index) => {
          const where = `${at}[${index}]`;
          const rule = object(raw, where, fail);
          known(rule, ["methods", "allow", "comment"], where, fail);
          const methods = list(rule.methods, `${where}.methods`, fail).map((method, i) =>
            typeof method === "string" && /^(\*|[A-Za-z_]\w*(\.[a-z_]\w*)?)$/.test(method)
              ? method
              : fail(`${where}.methods[${i}]`, 'must be a method name, "Method.field" or "*"'),
          );
          if (methods.length === 0) fail(`${where}.methods`, "must name at least one method");
          return { where, methods, allow: patterns(rule.allow, `${where}.allow`, fail) };
        }),
      );
    }
    return new AuthzPolicy(file, trust, services);
  }

  /** Whether the caller may name the end user's address in metadata (a gateway). */
  trustsClientAddressFrom(identity: string | undefined): boolean {
    return this.trust.some((matches) => matches(identity));
  }

  /** Whether the policy has rules for `serviceName` at all. */
  covers(serviceName: string): boolean {
    return this.services.has(serviceName);
  }

  /**
   * Who may call each method of `service`, checked against its descriptor:
   * a rule naming a method it does not have, or a field it cannot change,
   * stops the start (ConfigError naming the file and the entry).
   */
  accessFor(service: DescService): ServiceAccess {
    const access = new Map(service.methods.map((method) => [method.name, new MethodAccess(method)]));
    for (const rule of this.services.get(service.typeName) ?? []) {
      rule.methods.forEach((entry, index) => {
        const where = `${this.file}: ${rule.where}.methods[${index}]`;
        if (entry === "*") {
          for (const method of access.values()) method.allow(rule.allow);
          return;
        }
        const [name = "", field] = entry.split(".");
        const method = access.get(name);
        if (method === undefined) throw new ConfigError(POLICY_VARIABLE, `${where}: ${service.typeName} has no method "${name}"`);
        if (field === undefined) method.allow(rule.allow);
        else {
          const problem = method.guardField(field, rule.allow);
          if (problem !== undefined) throw new ConfigError(POLICY_VARIABLE, `${where}: "${entry}": ${problem}`);
        }
      });
    }
    return (name) => access.get(name);
  }
}

type Fail = (where: string, problem: string) => never;

function object(value: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(where, "must be a JSON object");
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) return fail(where, "must be a JSON array");
  return value;
}

function known(value: Record<string, unknown>, keys: readonly string[], where: string, fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) fail(where, `unknown key "${key}" (expected ${keys.join(", ")})`);
  }
}

function patterns(value: unknown, where: string, fail: Fail): IdentityMatcher[] {
  return list(value, where, fail).map((pattern, index) => {
    const compiled = compileIdentityPattern(pattern);
    return typeof compiled === "string" ? fail(`${where}[${index}]`, compiled) : compiled;
  });
}
