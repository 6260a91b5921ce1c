import { bufCurl } from "@faultmaven/test-kit";

/**
 * One call through `buf curl` (server reflection, JSON in and out, as a
 * person with grpcurl would call it); the reply's JSON, or an error with
 * buf's own message when the call failed.
 */
// biome-ignore lint/suspicious/noExplicitAny: replies are read field by field in the tests
export async function call(address: string, path: string, body: unknown): Promise<any> {
  const reply = await bufCurl(address, path, body);
  if (reply.code !== 0) throw new Error(`${path} failed (${reply.code}): ${reply.stderr.trim()}`);
  return JSON.parse(reply.stdout);
}

/** Retries `check` until it passes (the service may be reconnecting); rethrows its last failure. */
export async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
