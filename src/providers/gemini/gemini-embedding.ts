import { GatewayError } from '../../core/index.js';
import type { AnswerShape, EmbeddingRequest, EmbeddingResponse } from '../../protocol/index.js';

/**
 * Text embeddings, two wire forms. The Gemini API: `models/{m}:batchEmbedContents`, one request
 * per input, `{embeddings: [{values}]}` back. Vertex AI: `models/{m}:predict` with
 * `{instances: [{content}], parameters}`, `{predictions: [{embeddings: {values, statistics:
 * {token_count}}}]}` back (Vertex counts tokens; the Gemini API does not, so its usage is 0).
 */

export type EmbeddingApi = 'batchEmbedContents' | 'predict';

export function embeddingInputs(request: EmbeddingRequest): string[] {
  const input = request.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  throw new GatewayError('invalid_request', 'input: Google embedding models take text (a string or a list of strings), not token ids', { param: 'input' });
}

export function embeddingBody(api: EmbeddingApi, model: string, request: EmbeddingRequest): object {
  const inputs = embeddingInputs(request);
  const dimensions = typeof request.dimensions === 'number' ? request.dimensions : undefined;
  const taskType = typeof request.task_type === 'string' ? request.task_type : undefined;
  if (api === 'batchEmbedContents') {
    return {
      requests: inputs.map((text) => ({
        model: `models/${model}`,
        content: { parts: [{ text }] },
        ...(dimensions === undefined ? {} : { outputDimensionality: dimensions }),
        ...(taskType === undefined ? {} : { taskType }),
      })),
    };
  }
  return {
    instances: inputs.map((content) => ({ content, ...(taskType === undefined ? {} : { task_type: taskType }) })),
    ...(dimensions === undefined ? {} : { parameters: { outputDimensionality: dimensions } }),
  };
}

interface BatchAnswer { embeddings: Array<{ values: number[] }> }
interface PredictAnswer { predictions: Array<{ embeddings: { values: number[]; statistics?: { token_count?: number } } }> }

/**
 * Google answers floats; `encoding_format: base64` (what the OpenAI SDK asks for by default) gets
 * them as OpenAI encodes them: little-endian float32, base64.
 */
export function embeddingResponse(api: EmbeddingApi, model: string, body: unknown, encoding: unknown): EmbeddingResponse {
  const encode = encoding === 'base64' ? (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64') : (values: number[]) => values;
  if (api === 'batchEmbedContents') {
    const data = (body as BatchAnswer).embeddings.map((e, index) => ({ object: 'embedding' as const, index, embedding: encode(e.values) }));
    return { object: 'list', data, model, usage: { prompt_tokens: 0, total_tokens: 0 } };
  }
  let tokens = 0;
  const data = (body as PredictAnswer).predictions.map((p, index) => {
    tokens += p.embeddings.statistics?.token_count ?? 0;
    return { object: 'embedding' as const, index, embedding: encode(p.embeddings.values) };
  });
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

export function embeddingShape(api: EmbeddingApi): AnswerShape {
  const list = api === 'batchEmbedContents' ? 'embeddings' : 'predictions';
  return {
    name: api === 'batchEmbedContents' ? 'a batchEmbedContents answer' : 'a Vertex predict answer',
    problem(body) {
      const items = (body as Record<string, unknown> | null)?.[list];
      if (!Array.isArray(items)) return `"${list}" is not a list`;
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as Record<string, unknown> | null;
        const values = api === 'batchEmbedContents' ? item?.values : (item?.embeddings as Record<string, unknown> | undefined)?.values;
        if (!Array.isArray(values)) return `"${list}[${i}]" has no list of values`;
      }
      return undefined;
    },
  };
}
