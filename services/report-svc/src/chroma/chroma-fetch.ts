import { callOverError, currentCallScope, scopedSignal } from "@faultmaven/call-scope";
import type { ChromaClient } from "chromadb";

/**
 * The fetch every Chroma HTTP request goes through. Each request is bounded
 * by `timeoutMs` and by the current call: it is not sent once the call is
 * over, and an in-flight request is really aborted (the connection is
 * dropped) at the call's deadline or cancellation. Failures keep their cause
 * (a refused connection stays "connect ECONNREFUSED ...") for the log;
 * a call's end is raised as its DeadlineExceededError or CancelledError.
 */
export function scopedChromaFetch(timeoutMs: number): (request: Request) => Promise<Response> {
  return async (request) => {
    const scope = currentCallScope();
    const label = `chromadb ${request.method} ${new URL(request.url).pathname}`;
    const over = callOverError(scope, new Error(`${label} not sent: the call was over`));
    if (over) throw over;
    const signal = scopedSignal(timeoutMs, scope);
    let response: Response;
    try {
      response = await fetch(request, { signal });
    } catch (error) {
      throw callOverError(scope, new Error(`${label} aborted: the call ended`)) ?? timedOut(signal, label, timeoutMs) ?? error;
    }
    if (!response.ok) throw new Error(`${label} answered HTTP ${response.status}: ${await excerpt(response)}`);
    return response;
  };
}

/**
 * Routes the client's requests through `fetch`. chromadb 3.5 has no per-call
 * signal option, but its generated API client (`apiClient`, shared with the
 * collections it hands out) takes a fetch: fail at start, not silently, if
 * a chromadb upgrade moves it.
 */
export function useFetch(client: ChromaClient, fetch: (request: Request) => Promise<Response>): void {
  const api = (client as unknown as { apiClient?: { setConfig?: (config: { fetch: typeof fetch }) => unknown } }).apiClient;
  if (typeof api?.setConfig !== "function") {
    throw new Error("chromadb's client no longer exposes apiClient.setConfig: requests cannot be bounded (see chroma-fetch.ts)");
  }
  api.setConfig({ fetch });
}

function timedOut(signal: AbortSignal, label: string, timeoutMs: number): Error | undefined {
  return signal.aborted ? new Error(`${label}: no answer within ${timeoutMs} ms`) : undefined;
}

async function excerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  return text.length <= 200 ? text : `${text.slice(0, 197)}...`;
}
