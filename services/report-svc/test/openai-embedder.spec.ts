import { createServer, type IncomingMessage, type Server } from "node:http";
import { openCallScope, runInCallScope } from "@faultmaven/call-scope";
import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { OpenAiEmbedder } from "../src/domain/openai-embedder.js";

/** An OpenAI-compatible endpoint that never answers: only the call can end a request to it. */
let server: Server;
let url: string;
const requests: IncomingMessage[] = [];
const closed: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((request) => {
    requests.push(request);
    request.socket.once("close", () => closed.push(request));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("OpenAiEmbedder inside a call", () => {
  it("aborts its request when the call is cancelled: CANCELLED, and the connection is dropped", async () => {
    const embedder = new OpenAiEmbedder(url, "test-model", undefined, 30_000);
    const opened = openCallScope(undefined);
    const pending = runInCallScope(opened.scope, () => embedder.embed(["disk full"])).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requests).toHaveLength(1);
    opened.cancel();
    expect(await pending).toBeInstanceOf(CancelledError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toEqual([requests[0]]);
  });

  it("sends nothing once the call's deadline has passed", async () => {
    const embedder = new OpenAiEmbedder(url, "test-model", undefined, 30_000);
    const before = requests.length;
    const outcome = await runInCallScope({ deadline: Date.now() - 1, signal: new AbortController().signal }, () =>
      embedder.embed(["disk full"]),
    ).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requests).toHaveLength(before);
  });
});
