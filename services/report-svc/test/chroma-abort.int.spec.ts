import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { openCallScope, runInCallScope } from "@faultmaven/call-scope";
import { CancelledError, DeadlineExceededError, UnavailableError } from "@faultmaven/errors";
import { ChromaServer } from "@faultmaven/test-kit";
import { ChromaContentStore } from "../src/chroma/chroma-content-store.js";
import { HashingEmbedder } from "../src/domain/hashing-embedder.js";

/** The Chroma content store against a real ChromaDB frozen with SIGSTOP: the call's end really aborts the HTTP request. */
let chroma: ChromaServer;
let store: ChromaContentStore;
const embedder = new HashingEmbedder();
const [vector] = await embedder.embed(["disk full on db-1"]);

/** HTTP requests node's fetch (undici) creates and fails while `work` runs, by path. */
async function requestsDuring(work: () => Promise<unknown>) {
  const created: string[] = [];
  const failed: { path: string; error: unknown }[] = [];
  const onCreate = (message: unknown) => created.push((message as { request: { path: string } }).request.path);
  const onError = (message: unknown) => {
    const { request, error } = message as { request: { path: string }; error: unknown };
    failed.push({ path: request.path, error });
  };
  subscribe("undici:request:create", onCreate);
  subscribe("undici:request:error", onError);
  try {
    return { outcome: await work().catch((error: unknown) => error), created, failed };
  } finally {
    unsubscribe("undici:request:create", onCreate);
    unsubscribe("undici:request:error", onError);
  }
}

beforeAll(async () => {
  chroma = await ChromaServer.start();
  // A fixed timeout far beyond the test: only the call can stop a request.
  store = new ChromaContentStore(chroma.url, embedder.model, 30_000);
  await store.put("rep_warmwarmwarmwarmwarm00", "warm", vector!, { caseId: "case_warm", type: "RCA_REPORT" });
}, 60_000);
afterAll(async () => {
  chroma?.resume();
  await chroma?.close();
});
afterEach(() => chroma.resume());

describe("Chroma requests inside a call", () => {
  it("are aborted when the call is cancelled: the upsert fails at once with CANCELLED and undici drops the request", async () => {
    const opened = openCallScope(undefined);
    chroma.pause();
    let cancelledAt = 0;
    const { outcome, created, failed } = await requestsDuring(() => {
      setTimeout(() => {
        cancelledAt = Date.now();
        opened.cancel();
      }, 300);
      return runInCallScope(opened.scope, () =>
        store.put("rep_cancelcancelcancel0000", "x", vector!, { caseId: "case_c", type: "RCA_REPORT" }),
      );
    });
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(outcome).toBeInstanceOf(CancelledError);
    expect((outcome as Error).cause).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/^chromadb POST .+\/upsert aborted: the call ended$/) }),
    );
    expect(created).toEqual([expect.stringMatching(/\/upsert$/)]);
    expect(failed).toEqual([{ path: created[0], error: opened.scope.signal.reason }]);
  }, 20_000);

  it("are aborted at the call's deadline: DEADLINE_EXCEEDED, not the fixed CHROMA_TIMEOUT_MS", async () => {
    const opened = openCallScope(Date.now() + 400);
    chroma.pause();
    const started = Date.now();
    const { outcome, failed } = await requestsDuring(() => runInCallScope(opened.scope, () => store.get("rep_warmwarmwarmwarmwarm00")));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect(failed).toHaveLength(1);
    opened.close();
  }, 20_000);

  it("are not sent once the call is over", async () => {
    const { outcome, created } = await requestsDuring(() =>
      runInCallScope({ deadline: Date.now() - 1, signal: new AbortController().signal }, () => store.get("rep_warmwarmwarmwarmwarm00")),
    );
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect(created).toEqual([]);
  });

  it("outside any call work as before, and a stopped Chroma is UNAVAILABLE with its cause (ECONNREFUSED)", async () => {
    expect(await store.get("rep_warmwarmwarmwarmwarm00")).toBe("warm");
    await chroma.stop();
    try {
      const error = await store.get("rep_warmwarmwarmwarmwarm00").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(String((error as Error).cause)).toContain("fetch failed");
      expect(String(((error as Error).cause as Error).cause)).toContain("ECONNREFUSED");
    } finally {
      await chroma.start();
    }
  }, 30_000);
});
