/** Turns texts into vectors for similarity search. */
export interface Embedder {
  /** Identifies the model; stored with the collection so vectors of different models never mix. */
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}
