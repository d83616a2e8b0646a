import { redact, upstreamFailure, type GatewayError } from '../core/index.js';
import { finishReasonOf, openaiUsageOf } from './anthropic-mapping.js';
import type { AnthropicUsage } from './anthropic-types.js';
import { parseEventData, type EventTranslator } from './event-translator.js';
import type { ChatCompletionChunk, FinishReason } from './openai.js';
import type { SseEvent } from './sse.js';
import { RESPONSE_FORMAT_TOOL } from './structured-output.js';

/**
 * Nearly every event of a stream is a text delta, and Anthropic writes them in exactly this
 * layout. Matched whole against this anchored pattern, whose string literal admits only valid
 * JSON (no raw control characters, only JSON escapes), the text can be spliced into the chunk as
 * it came, with no JSON.parse and no re-encoding: about 4× cheaper per event on this path
 * (bench/translation-bench.ts). Anything else, including the same event with other key order or
 * spacing, takes the general path.
 */
// eslint-disable-next-line no-control-regex -- raw control characters are what a JSON string may not hold
const TEXT_DELTA = /^\{"type":"content_block_delta","index":\d+,"delta":\{"type":"text_delta","text":("(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")\}\}$/;

export interface AnthropicToOpenAIOptions {
  /** `stream_options.include_usage`: a last chunk with `choices: []` and the usage. */
  includeUsage: boolean;
  created?: number;
  /** Names the upstream in errors. */
  label?: string;
  /** The request asked for JSON (structured-output.ts): the format tool's input is the content. */
  jsonAnswer?: boolean;
}

/**
 * Anthropic Messages SSE → OpenAI chat completion chunks. Text deltas become `content`, each
 * `tool_use` block becomes one tool call (its OpenAI index counts tool calls, not blocks) whose
 * `input_json_delta`s are the `arguments` deltas, thinking deltas become `reasoning_content` (and
 * each thinking block, once it ends, one `thinking_blocks` delta with its signature),
 * `message_delta` carries the finish reason, and `message_stop` the usage when it was asked for.
 *
 * When the request asked for JSON, the format tool's `input_json_delta`s are the `content` deltas
 * and the tool call itself is not shown, as in the JSON answer (anthropic-to-openai.ts). Text is
 * then held back: it becomes the content only if the turn ends without a call of the format tool
 * (a model answering in prose), since text before the JSON would make the content unparseable.
 */
export class AnthropicToOpenAIStream implements EventTranslator {
  private id = '';
  private model = '';
  private readonly created: number;
  /**
   * Every chunk shares its frame (id, created, model, choice index); it is written once and the
   * delta spliced in, because serializing whole chunk objects was most of the per-event cost
   * (bench/translation-bench.ts).
   */
  private head = '';
  private readonly tail: string;
  private readonly toolIndexOfBlock = new Map<number, number>();
  private usage: Partial<AnthropicUsage> = {};
  private stopped = false;
  private readonly label: string;
  private readonly jsonAnswer: boolean;
  /** JSON mode: the block index of the format tool's call, once it has begun. */
  private jsonBlock: number | undefined;
  private jsonSent = false;
  /** JSON mode: text held back until the turn shows whether the format tool answers. */
  private heldText = '';
  /**
   * The thinking block being streamed (its index and what it has said so far): Claude needs it
   * back whole and signed with the tool results of the same turn, so it is sent once more, whole,
   * as `thinking_blocks` when it ends (LiteLLM's field; the Responses API keeps it as the reasoning
   * item's encrypted_content).
   */
  private thinking: { index: number; block: Record<string, unknown> & { type: string } } | undefined;

  constructor(private readonly options: AnthropicToOpenAIOptions) {
    this.created = options.created ?? Math.floor(Date.now() / 1000);
    this.label = options.label ?? 'the upstream';
    this.jsonAnswer = options.jsonAnswer === true;
    this.tail = options.includeUsage ? ',"usage":null}' : '}';
    this.frame();
  }

  push(event: SseEvent): SseEvent[] {
    const text = this.jsonAnswer ? null : TEXT_DELTA.exec(event.data);
    if (text !== null) return [this.chunk(`{"content":${text[1]}}`, null)];
    const data = parseEventData(event, this.label);
    switch (data.type) {
      case 'message_start': {
        const message = (data.message ?? {}) as { id?: string; model?: string; usage?: Partial<AnthropicUsage> };
        this.id = message.id ?? '';
        this.model = message.model ?? '';
        this.usage = { ...message.usage };
        this.frame();
        return [this.chunk('{"role":"assistant","content":""}', null)];
      }
      case 'content_block_start':
        return this.blockStart(data.index as number, (data.content_block ?? {}) as Record<string, unknown>);
      case 'content_block_delta':
        return this.blockDelta(data.index as number, (data.delta ?? {}) as Record<string, unknown>);
      case 'message_delta': {
        // Usage here is cumulative: later counters replace the ones from message_start.
        for (const [key, value] of Object.entries((data.usage ?? {}) as Record<string, unknown>)) {
          if (value != null) this.usage[key] = value;
        }
        const stop = (data.delta as { stop_reason?: string | null } | undefined)?.stop_reason;
        return this.finish(finishReasonOf(stop ?? 'end_turn'));
      }
      case 'content_block_stop':
        return this.blockStop(data.index as number);
      case 'message_stop':
        this.stopped = true;
        return this.options.includeUsage ? [this.usageChunk()] : [];
      case 'error':
        throw anthropicStreamError(data, this.label);
      default:
        return []; // ping, and event types added later
    }
  }

  end(): SseEvent[] {
    if (!this.stopped) throw upstreamFailure('upstream_error', `${this.label} ended the stream before message_stop`);
    return [];
  }

  private blockStart(index: number, block: Record<string, unknown>): SseEvent[] {
    if (block.type === 'thinking') this.thinking = { index, block: { type: 'thinking', thinking: typeof block.thinking === 'string' ? block.thinking : '', signature: typeof block.signature === 'string' ? block.signature : '' } };
    else if (block.type === 'redacted_thinking') this.thinking = { index, block: { type: 'redacted_thinking', data: block.data } };
    if (this.jsonAnswer && block.type === 'tool_use' && block.name === RESPONSE_FORMAT_TOOL && this.jsonBlock === undefined) {
      this.jsonBlock = index;
      this.heldText = '';
      return [];
    }
    if (this.jsonAnswer && block.type === 'text') {
      if (typeof block.text === 'string') this.holdText(block.text);
      return [];
    }
    if (block.type === 'tool_use') {
      const toolIndex = this.toolIndexOfBlock.size;
      this.toolIndexOfBlock.set(index, toolIndex);
      const call = { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } };
      return [this.chunk(`{"tool_calls":[${JSON.stringify(call)}]}`, null)];
    }
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return [this.chunk(`{"content":${JSON.stringify(block.text)}}`, null)];
    return [];
  }

  private blockDelta(index: number, delta: Record<string, unknown>): SseEvent[] {
    switch (delta.type) {
      case 'text_delta':
        if (this.jsonAnswer) {
          this.holdText(String(delta.text));
          return [];
        }
        return [this.chunk(`{"content":${JSON.stringify(String(delta.text))}}`, null)];
      case 'input_json_delta': {
        if (index === this.jsonBlock) {
          const json = delta.partial_json;
          if (typeof json !== 'string' || json === '') return [];
          this.jsonSent = true;
          return [this.chunk(`{"content":${JSON.stringify(json)}}`, null)];
        }
        const toolIndex = this.toolIndexOfBlock.get(index);
        const json = delta.partial_json;
        if (toolIndex === undefined || typeof json !== 'string' || json === '') return [];
        return [this.chunk(`{"tool_calls":[{"index":${toolIndex},"function":{"arguments":${JSON.stringify(json)}}}]}`, null)];
      }
      case 'thinking_delta':
        if (this.thinking?.index === index) this.thinking.block.thinking += String(delta.thinking);
        return [this.chunk(`{"reasoning_content":${JSON.stringify(String(delta.thinking))}}`, null)];
      case 'signature_delta':
        if (this.thinking?.index === index) this.thinking.block.signature = `${String(this.thinking.block.signature ?? '')}${String(delta.signature)}`;
        return [];
      default:
        return []; // citations_delta: no OpenAI counterpart
    }
  }

  /** A format tool call with no input at all still answers `{}`, as the JSON answer does. */
  private blockStop(index: number): SseEvent[] {
    if (this.thinking?.index === index) {
      const block = this.thinking.block;
      this.thinking = undefined;
      return [this.chunk(`{"thinking_blocks":[${JSON.stringify(block)}]}`, null)];
    }
    if (index !== this.jsonBlock || this.jsonSent) return [];
    this.jsonSent = true;
    return [this.chunk('{"content":"{}"}', null)];
  }

  private holdText(text: string): void {
    if (this.jsonBlock === undefined) this.heldText += text;
  }

  /**
   * The finish chunk; in JSON mode after the text held back when no format tool call came, and
   * with `stop` when the format tool was the only tool called (it is the answer, not a call).
   */
  private finish(reason: FinishReason): SseEvent[] {
    if (!this.jsonAnswer) return [this.chunk('{}', reason)];
    const out: SseEvent[] = [];
    if (this.jsonBlock === undefined && this.heldText !== '') out.push(this.chunk(`{"content":${JSON.stringify(this.heldText)}}`, null));
    this.heldText = '';
    const onlyFormatTool = this.jsonBlock !== undefined && this.toolIndexOfBlock.size === 0;
    out.push(this.chunk('{}', reason === 'tool_calls' && onlyFormatTool ? 'stop' : reason));
    return out;
  }

  private frame(): void {
    this.head = `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)},"choices":[{"index":0,"delta":`;
  }

  /** One chunk: `deltaJson` is the delta object already serialized. */
  private chunk(deltaJson: string, finish: FinishReason): SseEvent {
    return { data: `${this.head}${deltaJson},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]${this.tail}` };
  }

  private usageChunk(): SseEvent {
    const chunk: ChatCompletionChunk = {
      id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: openaiUsageOf(this.usage),
    };
    return { data: JSON.stringify(chunk) };
  }
}

/** An Anthropic `error` event (sent after the first byte, e.g. overloaded) as our error. */
export function anthropicStreamError(data: Record<string, unknown>, label: string): GatewayError {
  const error = (data.error ?? {}) as { type?: unknown; message?: unknown };
  const message = typeof error.message === 'string' ? redact(error.message) : 'unknown error';
  return upstreamFailure('upstream_error', `${label} failed mid-stream: ${message}`, { upstreamType: typeof error.type === 'string' ? error.type : undefined });
}
