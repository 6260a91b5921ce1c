import { callOverError, currentCallScope, scopedSignal } from "@faultmaven/call-scope";
import type { Embedder } from "./embedder.js";

/**
 * A real embedding model behind an OpenAI-compatible `POST {url}/embeddings`
 * endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, LiteLLM, ...): selected with
 * EMBEDDING_PROVIDER=openai, EMBEDDING_URL, EMBEDDING_MODEL and
 * EMBEDDING_API_KEY. A request is bounded by `timeoutMs` and by the call it
 * is made for (aborted at its deadline or cancellation).
 */
export class OpenAiEmbedder implements Embedder {
  constructor(
    private readonly url: string,
    readonly model: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const scope = currentCallScope();
    const over = callOverError(scope, new Error("embedding request not sent: the call was over"));
    if (over) throw over;
    const bounded = scopedSignal(this.timeoutMs, scope);
    const response = await fetch(`${this.url.replace(/\/$/, "")}/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.model, input: texts }),
      signal: signal ? AbortSignal.any([signal, bounded]) : bounded,
    }).catch((error: unknown) => {
      throw callOverError(scope, new Error("embedding request aborted: the call ended")) ?? error;
    });
    if (!response.ok) throw new Error(`embedding provider answered HTTP ${response.status}`);
    const body = (await response.json()) as { data?: { index: number; embedding: number[] }[] };
    const data = [...(body.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== texts.length) throw new Error("embedding provider returned a different number of vectors");
    return data.map((d) => d.embedding);
  }
}
