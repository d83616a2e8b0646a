import type { Deployment } from '../../config/index.js';
import { GatewayError, sequentialId, stableHash } from '../../core/index.js';
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage, Completion, CompletionRequest,
  EmbeddingRequest, EmbeddingResponse, SseEvent, Usage,
} from '../../protocol/index.js';
import type { Answer, CallContext, DeploymentClient } from '../adapter.js';

/**
 * `litellm_params.mock_response`: answers at once, with no network, streamed word by word when
 * asked, with plausible token counts (about four characters a token).
 */
export class MockClient implements DeploymentClient {
  constructor(readonly deployment: Deployment, private readonly text: string) {}

  async chat(request: ChatCompletionRequest, ctx: CallContext): Promise<Answer<ChatCompletion>> {
    const usage = this.usage(estimateTokens(messagesText(request.messages)) + 3 * request.messages.length);
    const id = `chatcmpl-${sequentialId()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = ctx.upstreamModel ?? this.deployment.model;
    if (request.stream !== true) {
      return {
        stream: false,
        body: {
          id, object: 'chat.completion', created, model,
          choices: [{ index: 0, message: { role: 'assistant', content: this.text, refusal: null }, finish_reason: 'stop', logprobs: null }],
          usage,
          system_fingerprint: null,
        },
      };
    }
    const includeUsage = request.stream_options?.include_usage === true;
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason']): ChatCompletionChunk => ({
      id, object: 'chat.completion.chunk', created, model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const chunks: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: '' }, null)];
    for (const word of words(this.text)) chunks.push(chunk({ content: word }, null));
    chunks.push(chunk({}, 'stop'));
    if (includeUsage) chunks.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    return { stream: true, events: toEvents(chunks) };
  }

  async completion(request: CompletionRequest, ctx: CallContext): Promise<Answer<Completion>> {
    const prompt = Array.isArray(request.prompt) ? request.prompt.join(' ') : request.prompt;
    const usage = this.usage(estimateTokens(String(prompt)));
    const id = `cmpl-${sequentialId()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = ctx.upstreamModel ?? this.deployment.model;
    if (request.stream !== true) {
      return {
        stream: false,
        body: { id, object: 'text_completion', created, model, choices: [{ index: 0, text: this.text, finish_reason: 'stop', logprobs: null }], usage },
      };
    }
    const chunk = (text: string, finish: 'stop' | null): Completion => ({
      id, object: 'text_completion', created, model, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
    });
    const chunks: Completion[] = words(this.text).map((word) => chunk(word, null));
    chunks.push(chunk('', 'stop'));
    if (request.stream_options?.include_usage === true) chunks.push({ id, object: 'text_completion', created, model, choices: [], usage });
    return { stream: true, events: toEvents(chunks) };
  }

  async embedding(request: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const inputs = Array.isArray(request.input) ? request.input : [request.input];
    const dimensions = request.dimensions ?? 1536;
    if (dimensions > MAX_MOCK_DIMENSIONS) {
      // The vectors are built in memory: a billion dimensions would take the worker down.
      throw new GatewayError('invalid_request', `dimensions: the mock provider makes at most ${MAX_MOCK_DIMENSIONS}`, { param: 'dimensions' });
    }
    const base64 = request.encoding_format === 'base64';
    const data = inputs.map((input, index) => {
      const vector = pseudoVector(JSON.stringify(input), dimensions);
      return { object: 'embedding' as const, index, embedding: base64 ? toBase64Floats(vector) : vector };
    });
    const tokens = inputs.reduce<number>((sum, input) => sum + (typeof input === 'string' ? estimateTokens(input) : Array.isArray(input) ? input.length : 1), 0);
    return { object: 'list', data, model: ctx.upstreamModel ?? this.deployment.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  private usage(promptTokens: number): Usage {
    const completionTokens = estimateTokens(this.text);
    return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  }
}

/** Well above any real embedding model's (OpenAI's largest has 3072). */
const MAX_MOCK_DIMENSIONS = 16_384;

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function messagesText(messages: ChatMessage[]): string {
  let text = '';
  for (const message of messages) {
    if (typeof message.content === 'string') text += message.content;
    else if (Array.isArray(message.content)) {
      for (const part of message.content) if (typeof part.text === 'string') text += part.text;
    }
  }
  return text;
}

/** "Hello big world" → ["Hello", " big", " world"]: joining the pieces gives the text back. */
function words(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

/** The whole answer is ready at once, so it is one batch (of an event per word). */
async function* toEvents(chunks: object[]): AsyncGenerator<SseEvent[]> {
  yield chunks.map((chunk) => ({ data: JSON.stringify(chunk) }));
}

/** OpenAI's base64 encoding: little-endian float32s. */
function toBase64Floats(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** A deterministic unit vector for the input, so equal inputs embed equally. */
function pseudoVector(seedText: string, dimensions: number): number[] {
  let seed = parseInt(stableHash(seedText, 8), 16) || 1;
  const values: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const value = seed / 2147483648 - 0.5;
    values.push(value);
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  return values.map((v) => Math.round(v * scale * 1e6) / 1e6);
}
