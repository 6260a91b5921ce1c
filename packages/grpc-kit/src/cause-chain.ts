import { ServiceError, UnavailableError } from "@faultmaven/errors";

const MAX_DEPTH = 6;
const MAX_LENGTH = 300;

/**
 * Why a call failed, for the log: the chain of causes under the error the
 * caller saw, joined like Go's wrapped errors, e.g. "redis: Command timed
 * out" or "chromadb: fetch failed: connect ECONNREFUSED 127.0.0.1:8000".
 * Only messages, names of errno codes and the store name are used: never
 * error properties (ioredis attaches command arguments) or request bodies.
 * Undefined when there is nothing beneath the error.
 */
export function causeChain(error: unknown): string | undefined {
  const links: string[] = error instanceof UnavailableError ? [error.store] : [];
  let current: unknown = error instanceof ServiceError ? error.cause : error;
  for (let depth = 0; current !== undefined && current !== null && depth < MAX_DEPTH; depth++) {
    links.push(describe(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return links.length === 0 || (links.length === 1 && error instanceof UnavailableError) ? undefined : links.join(": ");
}

function describe(link: unknown): string {
  if (!(link instanceof Error)) return truncate(String(link));
  const code = (link as { code?: unknown }).code;
  let text = link.message || link.name;
  if (typeof code === "string" && !text.includes(code)) text += ` (${code})`;
  // fetch and net report a refused connection as an AggregateError of one error per address.
  if (link instanceof AggregateError && link.errors.length > 0) text += ` [${link.errors.map(describe).join("; ")}]`;
  return truncate(text);
}

function truncate(text: string): string {
  return text.length <= MAX_LENGTH ? text : `${text.slice(0, MAX_LENGTH - 3)}...`;
}
