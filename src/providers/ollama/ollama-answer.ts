import { randomId, redact, upstreamFailure } from '../../core/index.js';
import {
  parseEventData,
  type AnswerShape, type ChatCompletion, type Completion, type EmbeddingResponse, type EventTranslator, type FinishReason, type SseEvent, type ToolCall,
} from '../../protocol/index.js';
import { ChunkWriter, usageOf } from '../chat-chunks.js';
import { floatsAsBase64 } from '../embedding-base64.js';

/**
 * Ollama's native answers → OpenAI: `/api/chat` and `/api/generate` answers become a chat
 * completion (or a text completion), their newline-delimited JSON streams chunks, `/api/embed` an
 * embedding list. Ollama gives tool calls no id (older versions) and their arguments as an
 * object: ids are made here, arguments written as JSON text.
 */

interface OllamaToolCall {
  id?: string;
  function?: { name?: string; arguments?: unknown };
}

export interface OllamaAnswer {
  model?: string;
  message?: { content?: string; thinking?: string; tool_calls?: OllamaToolCall[] };
  response?: string;
  thinking?: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

export const OLLAMA_CHAT_ANSWER: AnswerShape = {
  name: 'an Ollama chat answer',
  problem: (body) => (isObject(body) && isObject(body.message) ? undefined : '"message" is missing or not an object'),
};

export const OLLAMA_GENERATE_ANSWER: AnswerShape = {
  name: 'an Ollama generate answer',
  problem: (body) => (isObject(body) && typeof body.response === 'string' ? undefined : '"response" is missing or not a string'),
};

export const OLLAMA_EMBED_ANSWER: AnswerShape = {
  name: 'an Ollama embed answer',
  problem: (body) => (isObject(body) && Array.isArray(body.embeddings) ? undefined : '"embeddings" is missing or not a list'),
};

/** `length` when the output limit ended the turn; a turn with tool calls ends in `tool_calls`. */
function finishOf(answer: OllamaAnswer, toolCalls: number): FinishReason {
  if (toolCalls > 0) return 'tool_calls';
  return answer.done_reason === 'length' ? 'length' : 'stop';
}

function toolCallsOf(calls: OllamaToolCall[] | undefined): ToolCall[] {
  return (calls ?? []).map((call) => ({
    id: typeof call.id === 'string' && call.id !== '' ? call.id : `call_${randomId(9)}`,
    type: 'function',
    function: { name: call.function?.name ?? '', arguments: typeof call.function?.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function?.arguments ?? {}) },
  }));
}

/** `/api/chat` or `/api/generate` (for a chat request) → a chat completion. */
export function ollamaToChatCompletion(answer: OllamaAnswer, model: string): ChatCompletion {
  const calls = toolCallsOf(answer.message?.tool_calls);
  const text = answer.message?.content ?? answer.response ?? '';
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  const thinking = answer.message?.thinking ?? answer.thinking;
  if (typeof thinking === 'string' && thinking !== '') message.reasoning_content = thinking;
  return {
    id: `chatcmpl-${randomId()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finishOf(answer, calls.length) }],
    usage: usageOf(answer.prompt_eval_count ?? 0, answer.eval_count ?? 0),
  };
}

/** `/api/generate` → a text completion. */
export function ollamaToCompletion(answer: OllamaAnswer, model: string): Completion {
  return {
    id: `cmpl-${randomId()}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, text: answer.response ?? '', finish_reason: finishOf(answer, 0), logprobs: null }],
    usage: usageOf(answer.prompt_eval_count ?? 0, answer.eval_count ?? 0),
  };
}

/** Ollama's stream (one JSON object per line, the last with `done: true`) → OpenAI chunks. */
export class OllamaToOpenAIStream implements EventTranslator {
  private readonly writer: ChunkWriter;
  private started = false;
  private ended = false;
  private toolCalls = 0;

  constructor(private readonly options: { model: string; includeUsage: boolean; label: string; text: boolean }) {
    this.writer = new ChunkWriter({ id: `${options.text ? 'cmpl' : 'chatcmpl'}-${randomId()}`, model: options.model, includeUsage: options.includeUsage, text: options.text });
  }

  push(event: SseEvent): SseEvent[] {
    const data = parseEventData(event, this.options.label) as OllamaAnswer;
    // Ollama reports a failure after the first line as a line of its own.
    if (typeof data.error === 'string') throw upstreamFailure('upstream_error', `${this.options.label} failed mid-stream: ${redact(data.error)}`);
    const out: SseEvent[] = [];
    if (!this.started && !this.options.text) out.push(this.writer.role());
    this.started = true;
    const thinking = data.message?.thinking ?? data.thinking;
    if (typeof thinking === 'string' && thinking !== '' && !this.options.text) out.push(this.writer.reasoning(thinking));
    const text = data.message?.content ?? data.response;
    if (typeof text === 'string' && text !== '') out.push(this.writer.content(text));
    for (const call of toolCallsOf(data.message?.tool_calls)) out.push(this.writer.toolCall(this.toolCalls++, call.id, call.function.name, call.function.arguments));
    if (data.done === true) {
      this.ended = true;
      out.push(...this.writer.finish(finishOf(data, this.toolCalls), usageOf(data.prompt_eval_count ?? 0, data.eval_count ?? 0)));
    }
    return out;
  }

  end(): SseEvent[] {
    if (!this.ended) throw upstreamFailure('upstream_error', `${this.options.label} ended the stream before its "done": true line`);
    return [];
  }
}

export function isOllamaStreamEnd(event: SseEvent): boolean {
  return /"done":\s*true/.test(event.data);
}

export function ollamaToEmbeddings(answer: { embeddings: number[][]; prompt_eval_count?: number }, model: string, base64: boolean): EmbeddingResponse {
  const tokens = answer.prompt_eval_count ?? 0;
  return {
    object: 'list',
    data: answer.embeddings.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? floatsAsBase64(vector) : vector })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
