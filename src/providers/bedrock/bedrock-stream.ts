import { upstreamFailure } from '../../core/index.js';
import type { AnthropicStopReason, SseEvent } from '../../protocol/index.js';
import type { EventStream } from '../adapter.js';
import { classifyTransportError, type UpstreamRequest, type UpstreamResponse } from '../http-pool.js';
import type { EventStreamReader, StreamMessage } from './aws-libraries.js';
import { bedrockStreamError } from './bedrock-errors.js';
import { stopReasonOfConverse, usageOfConverse } from './converse-mapping.js';

/**
 * Bedrock's streams (AWS binary event-stream framing) as Anthropic Messages events, the stream
 * shape the rest of the gateway already translates to every caller API. Two kinds arrive:
 * `invoke-with-response-stream` wraps each of Claude's own events, base64 in a `chunk` message;
 * `converse-stream` sends Converse's events, rebuilt here into Anthropic's.
 */

export interface StreamTranslator {
  push(message: StreamMessage): SseEvent[];
  /** Whether the stream reached its proper end (else it was cut short). */
  readonly complete: boolean;
}

/** Reads the body through the codec and a translator; exceptions in the stream are thrown (after the events before them). */
export async function* bedrockEvents(response: UpstreamResponse, request: UpstreamRequest, reader: EventStreamReader, translator: StreamTranslator): EventStream {
  try {
    for await (const chunks of response) {
      const out: SseEvent[] = [];
      for (const chunk of chunks) {
        let messages: StreamMessage[];
        try {
          messages = reader.push(chunk);
        } catch (error) {
          throw upstreamFailure('upstream_invalid_response', `${request.label} sent an event stream the gateway cannot decode: ${(error as Error).message}`);
        }
        for (const message of messages) {
          const type = message.headers[':message-type'];
          if (type === 'exception' || type === 'error') {
            if (out.length > 0) yield out;
            throw bedrockStreamError(message.headers, message.body, request.label);
          }
          for (const event of translator.push(message)) out.push(event);
        }
      }
      if (out.length > 0) yield out;
    }
  } catch (error) {
    throw classifyTransportError(error, request);
  }
  if (!translator.complete || reader.leftover > 0) {
    throw upstreamFailure('upstream_error', `${request.label} ended the stream before its end: the answer was cut short`);
  }
}

function payload(message: StreamMessage): Record<string, unknown> {
  return JSON.parse(Buffer.from(message.body).toString('utf8')) as Record<string, unknown>;
}

/** `invoke-with-response-stream` of a Claude model: each `chunk` carries one Anthropic event, base64. */
export class InvokeStream implements StreamTranslator {
  complete = false;

  constructor(private readonly label: string) {}

  push(message: StreamMessage): SseEvent[] {
    if (message.headers[':event-type'] !== 'chunk') return [];
    const bytes = payload(message).bytes;
    if (typeof bytes !== 'string') throw upstreamFailure('upstream_invalid_response', `${this.label} sent a chunk without bytes`);
    const data = Buffer.from(bytes, 'base64').toString('utf8');
    const type = (JSON.parse(data) as { type?: unknown }).type;
    if (type === 'message_stop') this.complete = true;
    return [{ event: typeof type === 'string' ? type : 'unknown', data }];
  }
}

type BlockKind = 'text' | 'tool_use' | 'thinking';

/** `converse-stream` → Anthropic events: messageStart, content blocks, then messageStop and metadata (the usage). */
export class ConverseStream implements StreamTranslator {
  complete = false;
  private readonly open = new Map<number, BlockKind>();
  private stopReason: AnthropicStopReason = 'end_turn';
  private stopped = false;

  constructor(private readonly model: string, private readonly id: string) {}

  push(message: StreamMessage): SseEvent[] {
    const data = payload(message);
    switch (message.headers[':event-type']) {
      case 'messageStart':
        return [event({
          type: 'message_start',
          message: { id: this.id, type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } },
        })];
      case 'contentBlockStart': {
        const index = Number(data.contentBlockIndex ?? 0);
        const use = (data.start as { toolUse?: { toolUseId: string; name: string } } | undefined)?.toolUse;
        if (use === undefined) return [];
        this.open.set(index, 'tool_use');
        return [event({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: use.toolUseId, name: use.name, input: {} } })];
      }
      case 'contentBlockDelta': return this.delta(Number(data.contentBlockIndex ?? 0), (data.delta ?? {}) as Record<string, unknown>);
      case 'contentBlockStop': {
        const index = Number(data.contentBlockIndex ?? 0);
        if (!this.open.delete(index)) return [];
        return [event({ type: 'content_block_stop', index })];
      }
      case 'messageStop':
        this.stopReason = stopReasonOfConverse(data.stopReason);
        this.stopped = true;
        return [];
      case 'metadata': {
        if (!this.stopped) return [];
        this.complete = true;
        return [
          event({ type: 'message_delta', delta: { stop_reason: this.stopReason, stop_sequence: null }, usage: usageOfConverse(data.usage) }),
          event({ type: 'message_stop' }),
        ];
      }
      default:
        return [];
    }
  }

  /** A delta of a block Converse did not open (text, reasoning) opens it first. */
  private delta(index: number, delta: Record<string, unknown>): SseEvent[] {
    const out: SseEvent[] = [];
    const start = (kind: BlockKind) => {
      if (this.open.has(index)) return;
      this.open.set(index, kind);
      out.push(event({ type: 'content_block_start', index, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '' } }));
    };
    if (typeof delta.text === 'string') {
      start('text');
      out.push(event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: delta.text } }));
    } else if (delta.toolUse !== undefined) {
      const input = (delta.toolUse as { input?: unknown }).input;
      if (typeof input === 'string' && input !== '') out.push(event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: input } }));
    } else if (delta.reasoningContent !== undefined) {
      const reasoning = delta.reasoningContent as { text?: string; signature?: string };
      start('thinking');
      if (typeof reasoning.text === 'string') out.push(event({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: reasoning.text } }));
      if (typeof reasoning.signature === 'string') out.push(event({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: reasoning.signature } }));
    }
    return out;
  }
}

function event(data: { type: string; [key: string]: unknown }): SseEvent {
  return { event: data.type, data: JSON.stringify(data) };
}
