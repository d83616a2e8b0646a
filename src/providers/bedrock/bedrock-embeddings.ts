import { GatewayError, upstreamFailure } from '../../core/index.js';
import type { AnswerShape, EmbeddingRequest, EmbeddingResponse } from '../../protocol/index.js';

/**
 * Embeddings on Bedrock go through `invoke` with each model family's own body: Titan takes one
 * text per call (`inputText`, v2 also `dimensions` and `normalize`), Cohere a list (`texts`,
 * `input_type`). The answer is the OpenAI embedding list; floats become base64 (little-endian
 * float32, as OpenAI encodes them) when the caller asks for it, as the official SDKs do by default.
 */

export type EmbeddingFamily = 'titan' | 'cohere';

export function embeddingFamily(model: string): EmbeddingFamily | undefined {
  if (/amazon\.titan-embed/.test(model)) return 'titan';
  if (/cohere\.embed/.test(model)) return 'cohere';
  return undefined;
}

/** The texts of a request; token arrays cannot be sent to either family. */
export function embeddingTexts(request: EmbeddingRequest): string[] {
  const input = request.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!texts.every((t): t is string => typeof t === 'string')) {
    throw new GatewayError('invalid_request', 'input: bedrock/ embedding models take text, not token arrays', { param: 'input' });
  }
  if (texts.length === 0) throw new GatewayError('invalid_request', 'input: must not be empty', { param: 'input' });
  return texts;
}

export function titanBody(text: string, request: EmbeddingRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { inputText: text };
  if (typeof request.dimensions === 'number') body.dimensions = request.dimensions;
  if (typeof request.normalize === 'boolean') body.normalize = request.normalize;
  return body;
}

export function cohereBody(texts: string[], request: EmbeddingRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { texts, input_type: typeof request.input_type === 'string' ? request.input_type : 'search_document' };
  if (typeof request.truncate === 'string') body.truncate = request.truncate;
  return body;
}

export const TITAN_EMBEDDING: AnswerShape = {
  name: 'a Titan embedding',
  problem: (body) => (Array.isArray((body as { embedding?: unknown } | null)?.embedding) ? undefined : 'embedding is not a list'),
};

export const COHERE_EMBEDDINGS: AnswerShape = {
  name: 'Cohere embeddings',
  problem: (body) => (cohereVectors(body) === undefined ? 'embeddings is neither a list nor {float: [...]}' : undefined),
};

/** `embeddings` is a list of vectors, or by type (`{float: [...]}`) when `embedding_types` was asked for. */
export function cohereVectors(body: unknown): number[][] | undefined {
  const embeddings = (body as { embeddings?: unknown } | null)?.embeddings;
  if (Array.isArray(embeddings)) return embeddings as number[][];
  const float = (embeddings as { float?: unknown } | null | undefined)?.float;
  return Array.isArray(float) ? (float as number[][]) : undefined;
}

export function embeddingList(vectors: number[][], request: EmbeddingRequest, model: string, promptTokens: number, label: string): EmbeddingResponse {
  const base64 = request.encoding_format === 'base64';
  return {
    object: 'list',
    data: vectors.map((vector, index) => {
      if (!Array.isArray(vector)) throw upstreamFailure('upstream_invalid_response', `${label} answered an embedding that is not a list of numbers`);
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
    }),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
