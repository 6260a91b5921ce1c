import { create } from "@bufbuild/protobuf";
import { UpdateSessionRequestSchema, type UpdateSessionRequest } from "@faultmaven/contract/session";
import { InvalidArgumentError } from "@faultmaven/errors";
import { validateRequest } from "@faultmaven/grpc-kit";
import type { SessionChanges } from "../domain/session.js";

/** The legacy per-key mask path prefix: "context.<key>". */
const CONTEXT_PATH = "context.";

/**
 * The changes an UpdateSessionRequest asks for (AIP-134): mask paths
 * "case_id" and "context" (replace the map) read from `session`; then
 * set_context and remove_context_keys, which carry any key in JSON as well
 * as in binary. The older "context.<key>" paths still work: each becomes a
 * set (key present in session.context) or a remove (key absent), checked by
 * the same contract rules as the new fields.
 */
export function sessionChanges(request: UpdateSessionRequest): SessionChanges {
  const paths = request.updateMask?.paths ?? [];
  if (paths.length === 0 && Object.keys(request.setContext).length === 0 && request.removeContextKeys.length === 0) {
    throw new InvalidArgumentError(
      "update_mask",
      "is required (paths: case_id, context) unless set_context or remove_context_keys is given",
    );
  }
  const session = request.session;
  const changes: { -readonly [K in keyof SessionChanges]: SessionChanges[K] } = {};
  const setContext: Record<string, string> = { ...request.setContext };
  const removeContext = [...request.removeContextKeys];
  for (const path of paths) {
    if (path === "case_id") changes.caseId = session?.caseId ?? "";
    else if (path === "context") changes.replaceContext = { ...session?.context };
    else if (path.startsWith(CONTEXT_PATH)) {
      const key = path.slice(CONTEXT_PATH.length);
      const legacy = legacyContextPath(key, session?.context ?? {});
      if (legacy.set !== undefined) setContext[key] = legacy.set;
      else removeContext.push(key);
    } else {
      // The contract's field_mask rule also admits sub-paths of its entries ("case_id.x"): a string has none.
      throw new InvalidArgumentError("update_mask", `unknown path "${path.slice(0, 64)}" (allowed: case_id, context, context.<key>)`);
    }
  }
  const conflict = removeContext.find((key) => Object.hasOwn(setContext, key));
  if (conflict !== undefined) {
    throw new InvalidArgumentError("remove_context_keys", `"${conflict.slice(0, 64)}" is also set by this request`);
  }
  return { ...changes, setContext, removeContext };
}

/** One "context.<key>" path, checked as set_context / remove_context_keys would be. */
function legacyContextPath(key: string, context: Readonly<Record<string, string>>): { set?: string } {
  const value = Object.hasOwn(context, key) ? context[key] : undefined;
  const probe = create(UpdateSessionRequestSchema, value === undefined ? { removeContextKeys: [key] } : { setContext: { [key]: value } });
  try {
    validateRequest(UpdateSessionRequestSchema, probe);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    // The probe has no session; only what is said of the key matters here.
    const aboutKey = error.violations.filter((v) => v.field !== "session").map((v) => v.description);
    if (aboutKey.length > 0) throw new InvalidArgumentError("update_mask", `path "context.${key.slice(0, 64)}": ${aboutKey.join("; ")}`);
  }
  return value === undefined ? {} : { set: value };
}
