import { upstreamFailure } from '../../core/index.js';
import {
  parseEventData,
  type AnswerShape, type ChatCompletion, type EmbeddingResponse, type EventTranslator, type FinishReason, type SseEvent, type ToolCall, type Usage,
} from '../../protocol/index.js';
import { ChunkWriter, usageOf } from '../chat-chunks.js';
import { floatsAsBase64 } from '../embedding-base64.js';

/**
 * Cohere v2 → OpenAI: a chat answer becomes a chat completion, its stream (`message-start`,
 * `content-delta`, `tool-call-start` / `-delta`, `message-end`, …) chat chunks, an embed answer an
 * embedding list. Cohere's tool call ids are kept, so a tool round trip needs no table.
 */

const FINISH: Record<string, Exclude<FinishReason, null>> = {
  COMPLETE: 'stop', STOP_SEQUENCE: 'stop', MAX_TOKENS: 'length', TOOL_CALL: 'tool_calls', ERROR_TOXIC: 'content_filter', ERROR_LIMIT: 'length',
};

export function cohereFinishReason(reason: unknown): FinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'stop') : 'stop';
}

interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

/** `tokens` counts what the model saw; `billed_units` (what is charged) when it is absent. */
export function cohereUsage(usage: CohereUsage | undefined): Usage {
  const counted = usage?.tokens ?? usage?.billed_units ?? {};
  return usageOf(counted.input_tokens ?? 0, counted.output_tokens ?? 0, typeof usage?.cached_tokens === 'number' ? usage.cached_tokens : undefined);
}

interface CohereChatAnswer {
  id?: string;
  finish_reason?: string;
  message: {
    content?: Array<{ type?: string; text?: string; thinking?: string }> | null;
    tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string | null } }> | null;
  };
  usage?: CohereUsage;
}

export const COHERE_CHAT_ANSWER: AnswerShape = {
  name: 'a Cohere chat answer',
  problem: (body) => {
    const message = (body as { message?: unknown } | null)?.message;
    if (message === null || typeof message !== 'object') return '"message" is missing or not an object';
    const content = (message as { content?: unknown }).content;
    if (content != null && !Array.isArray(content)) return '"message.content" is not a list';
    const calls = (message as { tool_calls?: unknown }).tool_calls;
    if (calls != null && !Array.isArray(calls)) return '"message.tool_calls" is not a list';
    return undefined;
  },
};

export function cohereToChatCompletion(answer: CohereChatAnswer, model: string): ChatCompletion {
  const text = (answer.message.content ?? []).filter((c) => c.type === 'text').map((c) => c.text ?? '').join('');
  const thinking = (answer.message.content ?? []).filter((c) => c.type === 'thinking').map((c) => c.thinking ?? '').join('');
  const calls: ToolCall[] = (answer.message.tool_calls ?? []).map((call, i) => ({
    id: call.id ?? `call_${i}`,
    type: 'function',
    // Cohere answers `null` for a tool that takes no arguments.
    function: { name: call.function?.name ?? '', arguments: argumentsOf(call.function?.arguments) },
  }));
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  if (thinking !== '') message.reasoning_content = thinking;
  return {
    id: answer.id ?? '',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: calls.length > 0 ? 'tool_calls' : cohereFinishReason(answer.finish_reason) }],
    usage: cohereUsage(answer.usage),
  };
}

function argumentsOf(args: string | null | undefined): string {
  return args == null || args === '' || args === 'null' ? '{}' : args;
}

/** Cohere's chat stream → OpenAI chat chunks. */
export class CohereToOpenAIStream implements EventTranslator {
  private writer: ChunkWriter;
  private ended = false;
  private toolCalls = 0;

  constructor(private readonly options: { model: string; includeUsage: boolean; label: string }) {
    this.writer = new ChunkWriter({ id: '', model: options.model, includeUsage: options.includeUsage });
  }

  push(event: SseEvent): SseEvent[] {
    const data = parseEventData(event, this.options.label);
    const delta = (data.delta ?? {}) as { message?: Record<string, unknown>; finish_reason?: string; usage?: CohereUsage };
    const message = delta.message ?? {};
    switch (data.type) {
      case 'message-start':
        this.writer = new ChunkWriter({ id: typeof data.id === 'string' ? data.id : '', model: this.options.model, includeUsage: this.options.includeUsage });
        return [this.writer.role()];
      case 'content-delta': {
        const content = (message.content ?? {}) as { text?: unknown; thinking?: unknown };
        if (typeof content.text === 'string' && content.text !== '') return [this.writer.content(content.text)];
        if (typeof content.thinking === 'string' && content.thinking !== '') return [this.writer.reasoning(content.thinking)];
        return [];
      }
      case 'tool-call-start': {
        const call = (message.tool_calls ?? {}) as { id?: string; function?: { name?: string; arguments?: string } };
        const index = typeof data.index === 'number' ? data.index : this.toolCalls;
        this.toolCalls = Math.max(this.toolCalls, index + 1);
        return [this.writer.toolCall(index, call.id ?? `call_${index}`, call.function?.name ?? '', call.function?.arguments ?? '')];
      }
      case 'tool-call-delta': {
        const args = ((message.tool_calls ?? {}) as { function?: { arguments?: unknown } }).function?.arguments;
        const index = typeof data.index === 'number' ? data.index : this.toolCalls - 1;
        return typeof args === 'string' && args !== '' ? [this.writer.toolArguments(index, args)] : [];
      }
      case 'message-end': {
        this.ended = true;
        const reason = this.toolCalls > 0 ? 'tool_calls' : cohereFinishReason(delta.finish_reason);
        return this.writer.finish(reason, cohereUsage(delta.usage));
      }
      default:
        return []; // content-start/-end, tool-plan-delta, citations, tool-call-end
    }
  }

  end(): SseEvent[] {
    if (!this.ended) throw upstreamFailure('upstream_error', `${this.options.label} ended the stream before message-end`);
    return [];
  }
}

export function isCohereStreamEnd(event: SseEvent): boolean {
  return event.event === 'message-end' || event.data.includes('"type":"message-end"');
}

interface CohereEmbedAnswer {
  embeddings?: { float?: number[][] } | number[][];
  meta?: { billed_units?: { input_tokens?: number } };
}

export const COHERE_EMBED_ANSWER: AnswerShape = {
  name: 'a Cohere embed answer',
  problem: (body) => {
    const embeddings = (body as { embeddings?: unknown } | null)?.embeddings;
    const floats = Array.isArray(embeddings) ? embeddings : (embeddings as { float?: unknown } | undefined)?.float;
    return Array.isArray(floats) ? undefined : '"embeddings.float" is missing or not a list';
  },
};

export function cohereToEmbeddings(answer: CohereEmbedAnswer, model: string, base64: boolean): EmbeddingResponse {
  const floats = (Array.isArray(answer.embeddings) ? answer.embeddings : answer.embeddings?.float) ?? [];
  const tokens = answer.meta?.billed_units?.input_tokens ?? 0;
  return {
    object: 'list',
    data: floats.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? floatsAsBase64(vector) : vector })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
