import { createServer, type Server } from "node:http";
import { freePort, ServiceProcess } from "@faultmaven/test-kit";
import { OpenAiEmbedder } from "../src/domain/openai-embedder.js";
import { ENTRY } from "./report-harness.js";

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
    [
      { ENVIRONMENT: "production", AUTHZ_ALLOW_ALL_CALLERS: "true", CHROMA_URL: "http://127.0.0.1:1", CHROMA_TIMEOUT_MS: "300" },
      "ChromaDB is unreachable",
    ],
    [{ EMBEDDING_PROVIDER: "openai" }, "EMBEDDING_URL:"],
    [{ CHROMA_URL: "localhost" }, "CHROMA_URL:"],
  ])("refuses %j", async (env, message) => {
    const result = await ServiceProcess.runToExit(ENTRY, env as Record<string, string>);
    expect(result.code).toBe(1);
    expect(result.output).toContain(message);
  });
});
