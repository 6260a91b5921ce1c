import { createServer, type Server } from "node:http";
import { pino } from "pino";
import { UnavailableError } from "@faultmaven/errors";
import { ChromaServer, freePort, ServiceProcess } from "@faultmaven/test-kit";
import { ChromaContentStore } from "../src/chroma/chroma-content-store.js";
import { HashingEmbedder } from "../src/domain/hashing-embedder.js";
import { OpenAiEmbedder } from "../src/domain/openai-embedder.js";
import { ORPHAN_GRACE_MS, Reports } from "../src/domain/reports.js";
import { MemoryReportStore } from "../src/memory/memory-report-store.js";
import { ENTRY } from "./report-harness.js";

describe("reconciliation of orphan content", () => {
  let chroma: ChromaServer;
  beforeAll(async () => {
    chroma = await ChromaServer.start();
  }, 30_000);
  afterAll(async () => {
    await chroma?.close();
  });

  it("removes content without metadata once it is older than the grace period, and nothing else", async () => {
    const embedder = new HashingEmbedder();
    const content = new ChromaContentStore(chroma.url, embedder.model, 2000);
    const store = new MemoryReportStore();
    const reports = new Reports(store, content, embedder, pino({ level: "silent" }));
    const kept = await reports.save({ caseId: "c1", type: "RUNBOOK", status: "final", title: "", createdBy: "", content: "kept runbook" });
    // An orphan, as a crash between the two writes would leave it.
    const [vector] = await embedder.embed(["orphan text"]);
    await content.put("rep_orphanorphanorphanorph", "orphan text", vector!, { caseId: "c1", type: "RUNBOOK" });

    expect(await reports.reconcile()).toBe(0); // too young: could be a save in flight
    expect(await reports.reconcile(Date.now() + ORPHAN_GRACE_MS + 1000)).toBe(1);
    expect(await content.get("rep_orphanorphanorphanorph")).toBeUndefined();
    expect(await content.get(kept.reportId)).toBe("kept runbook");
  });

  it("keeps the content when a save's metadata write timed out but landed", async () => {
    const embedder = new HashingEmbedder();
    const content = new ChromaContentStore(chroma.url, embedder.model, 2000);
    class TimingOutStore extends MemoryReportStore {
      override async save(report: Parameters<MemoryReportStore["save"]>[0]): Promise<never> {
        await super.save(report);
        throw new UnavailableError("redis", { cause: new Error("Command timed out") });
      }
    }
    const store = new TimingOutStore();
    const reports = new Reports(store, content, embedder, pino({ level: "silent" }));
    await expect(
      reports.save({ caseId: "c2", type: "RCA_REPORT", status: "final", title: "", createdBy: "", content: "landed anyway" }),
    ).rejects.toBeInstanceOf(UnavailableError);
    const [saved] = (await store.listByCase("c2", 0, 1)).reports;
    expect(await content.get(saved!.reportId)).toBe("landed anyway");
  });
});

describe("OpenAiEmbedder (the switch to a real model provider)", () => {
  let server: Server;
  let port: number;
  const requests: { auth: string | undefined; body: { model: string; input: string[] } }[] = [];
  beforeAll(async () => {
    port = await freePort();
    server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => (raw += chunk));
      req.on("end", () => {
        const body = JSON.parse(raw) as { model: string; input: string[] };
        requests.push({ auth: req.headers.authorization, body });
        const data = body.input.map((text, index) => ({ index, embedding: [text.length, 1, 0] })).reverse();
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("posts to {url}/embeddings with the model and key, and orders vectors by index", async () => {
    const embedder = new OpenAiEmbedder(`http://127.0.0.1:${port}/v1/`, "text-embedding-3-small", "sk-test");
    expect(await embedder.embed(["ab", "abcd"])).toEqual([
      [2, 1, 0],
      [4, 1, 0],
    ]);
    expect(requests[0]).toEqual({ auth: "Bearer sk-test", body: { model: "text-embedding-3-small", input: ["ab", "abcd"] } });
  });

  it("fails (as UNAVAILABLE upstream) when the provider is down", async () => {
    const embedder = new OpenAiEmbedder(`http://127.0.0.1:${await freePort()}`, "m", undefined, 500);
    await expect(embedder.embed(["x"])).rejects.toThrow();
  });
});

describe("report-svc start-up", () => {
  it.each([
    [{ ENVIRONMENT: "production", CHROMA_URL: "http://127.0.0.1:1", CHROMA_TIMEOUT_MS: "300" }, "ChromaDB is unreachable"],
    [{ EMBEDDING_PROVIDER: "openai" }, "EMBEDDING_URL:"],
    [{ CHROMA_URL: "localhost" }, "CHROMA_URL:"],
  ])("refuses %j", async (env, message) => {
    const result = await ServiceProcess.runToExit(ENTRY, env as Record<string, string>);
    expect(result.code).toBe(1);
    expect(result.output).toContain(message);
  });
});
