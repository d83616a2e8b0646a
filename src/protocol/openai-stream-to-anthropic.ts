import { upstreamFailure, type GatewayError } from '../core/index.js';
import { anthropicUsageOf, stopReasonOf } from './anthropic-mapping.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicStreamEvent } from './anthropic-types.js';
import { parseEventData, type EventTranslator } from './event-translator.js';
import type { ChatCompletionChunk, Usage } from './openai.js';
import type { SseEvent } from './sse.js';

type ToolCallDelta = NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number];

/** A JSON string literal as JSON defines it: no raw control characters, only JSON escapes. */
// eslint-disable-next-line no-control-regex -- raw control characters are what a JSON string may not hold
const LITERAL = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.source;
const SCALAR = `(?:${LITERAL}|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?|null|true|false)`;

/**
 * Most chunks of a stream carry one text delta and nothing else. A chunk matched whole by this
 * pattern (scalar top-level fields around one choice whose delta is only `content`, no finish
 * reason, no usage object, no tool calls) can have its text spliced into the Anthropic event as
 * it came, with no JSON.parse: the literal admits only valid JSON. It accepts the layouts of
 * OpenAI, vLLM-style servers and the mock; anything else takes the general path.
 */
export const CONTENT_CHUNK = new RegExp(
  `^\\{(?:"[a-z_]+":${SCALAR},)*"choices":\\[\\{"index":0,"delta":\\{(?:"role":"assistant",)?"content":(${LITERAL})(?:,"refusal":null)?\\},` +
  `(?:"logprobs":null,)?"finish_reason":null(?:,"logprobs":null)?\\}\\](?:,"[a-z_]+":${SCALAR})*\\}$`,
);

export interface OpenAIToAnthropicOptions {
  /** Model to report when the upstream's chunks name none. */
  model: string;
  label?: string;
}

/**
 * OpenAI chat completion chunks → the Anthropic Messages event sequence: `message_start`, then
 * for each text run, reasoning run or tool call a `content_block_start` / deltas /
 * `content_block_stop`, then `message_delta` (stop reason and usage) and `message_stop`. The
 * finish reason and usage arrive in different OpenAI chunks, so both are held until the end.
 */
export class OpenAIToAnthropicStream implements EventTranslator {
  private started = false;
  private open: { kind: 'text' | 'thinking' | 'tool'; index: number } | undefined;
  private nextIndex = 0;
  private readonly blockOfTool = new Map<number, number>();
  private finish: string | null = null;
  private usage: Usage | undefined;
  private readonly label: string;

  constructor(private readonly options: OpenAIToAnthropicOptions) {
    this.label = options.label ?? 'the upstream';
  }

  push(event: SseEvent): SseEvent[] {
    if (this.open?.kind === 'text') {
      const text = CONTENT_CHUNK.exec(event.data)?.[1];
      if (text !== undefined) return text === '""' ? [] : [blockDelta(this.open.index, 'text_delta', 'text', text)];
    }
    const chunk = parseEventData(event, this.label) as Partial<ChatCompletionChunk>;
    const out: SseEvent[] = [];
    if (!this.started) out.push(this.start(chunk));
    if (chunk.usage) this.usage = chunk.usage;
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (choice === undefined) return out;
    // What is read below must have its shape: a chunk that breaks it is the upstream's fault, not a bug here.
    if (choice === null || typeof choice !== 'object') throw this.invalid('"choices[0]" is not an object');
    const { delta: sent, finish_reason: finish } = choice as ChatCompletionChunk['choices'][number];
    const delta = sent ?? {};
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
      if (this.open?.kind !== 'thinking') this.openBlock({ type: 'thinking', thinking: '', signature: '' }, 'thinking', out);
      out.push(emit({ type: 'content_block_delta', index: this.open!.index, delta: { type: 'thinking_delta', thinking: delta.reasoning_content } }));
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.open?.kind !== 'text') this.openBlock({ type: 'text', text: '' }, 'text', out);
      out.push(blockDelta(this.open!.index, 'text_delta', 'text', JSON.stringify(delta.content)));
    }
    const calls: unknown = delta.tool_calls;
    if (calls != null) {
      if (!Array.isArray(calls)) throw this.invalid('"choices[0].delta.tool_calls" is not a list');
      for (const call of calls as unknown[]) {
        if (call === null || typeof call !== 'object') throw this.invalid('a tool call delta is not an object');
        this.toolDelta(call as ToolCallDelta, out);
      }
    }
    if (finish) this.finish = finish;
    return out;
  }

  private invalid(what: string): GatewayError {
    return upstreamFailure('upstream_invalid_response', `${this.label} sent a stream chunk that is not a chat completion chunk: ${what}`);
  }

  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (!this.started) out.push(this.start({}));
    this.closeBlock(out);
    const usage = anthropicUsageOf(this.usage);
    out.push(emit({
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(this.finish ?? 'stop'), stop_sequence: null },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
      },
    }));
    out.push(emit({ type: 'message_stop' }));
    return out;
  }

  private start(chunk: Partial<ChatCompletionChunk>): SseEvent {
    this.started = true;
    const message: AnthropicMessage = {
      id: chunk.id || `msg_${Date.now().toString(36)}`,
      type: 'message',
      role: 'assistant',
      model: chunk.model || this.options.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Input tokens are known only at the end of an OpenAI stream; message_delta carries them.
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return emit({ type: 'message_start', message });
  }

  private toolDelta(call: ToolCallDelta, out: SseEvent[]): void {
    let index = this.blockOfTool.get(call.index);
    if (index === undefined) {
      const block: AnthropicContentBlock = { type: 'tool_use', id: call.id ?? `toolu_${this.nextIndex}`, name: call.function?.name ?? '', input: {} };
      index = this.openBlock(block, 'tool', out);
      this.blockOfTool.set(call.index, index);
    }
    const json = call.function?.arguments;
    if (json) out.push(blockDelta(index, 'input_json_delta', 'partial_json', JSON.stringify(json)));
  }

  private openBlock(block: AnthropicContentBlock, kind: 'text' | 'thinking' | 'tool', out: SseEvent[]): number {
    this.closeBlock(out);
    const index = this.nextIndex++;
    this.open = { kind, index };
    out.push(emit({ type: 'content_block_start', index, content_block: block }));
    return index;
  }

  private closeBlock(out: SseEvent[]): void {
    if (this.open === undefined) return;
    out.push(emit({ type: 'content_block_stop', index: this.open.index }));
    this.open = undefined;
  }
}

function emit(event: AnthropicStreamEvent): SseEvent {
  return { event: event.type, data: JSON.stringify(event) };
}

/**
 * The hot event, written by hand (serializing the whole object was most of the per-event cost);
 * `literal` is the value already as a JSON string literal.
 */
function blockDelta(index: number, type: 'text_delta' | 'input_json_delta', field: 'text' | 'partial_json', literal: string): SseEvent {
  return { event: 'content_block_delta', data: `{"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${field}":${literal}}}` };
}
