import type { SseEvent } from '../protocol/index.js';

type Block = Record<string, unknown>;

/**
 * The Anthropic message a stream of Messages API events amounts to (text, thinking with its
 * signature, tool use with its input), so that a streamed answer can be served later to streaming
 * and non-streaming callers alike. `result()` is undefined unless the stream reached message_stop.
 */
export class MessageStreamAssembly {
  private message: Record<string, unknown> | undefined;
  private readonly blocks: Block[] = [];
  private readonly partialJson = new Map<number, string>();
  private stopped = false;
  private unreadable = false;

  add(event: SseEvent): void {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(event.data) as Record<string, unknown>;
    } catch {
      this.unreadable = true;
      return;
    }
    const type = event.event ?? data.type;
    const index = typeof data.index === 'number' ? data.index : 0;
    if (type === 'message_start') this.message = { ...(data.message as Record<string, unknown>) };
    else if (type === 'content_block_start') this.blocks[index] = { ...(data.content_block as Block) };
    else if (type === 'content_block_delta') this.delta(index, (data.delta ?? {}) as Record<string, unknown>);
    else if (type === 'content_block_stop') this.finishBlock(index);
    else if (type === 'message_delta' && this.message !== undefined) {
      Object.assign(this.message, data.delta as object);
      this.message.usage = { ...(this.message.usage as object), ...(data.usage as object) };
    } else if (type === 'message_stop') this.stopped = true;
    else if (type === 'error') this.unreadable = true;
  }

  private delta(index: number, delta: Record<string, unknown>): void {
    const block = this.blocks[index];
    if (block === undefined) return;
    if (delta.type === 'text_delta') block.text = `${String(block.text ?? '')}${String(delta.text ?? '')}`;
    else if (delta.type === 'thinking_delta') block.thinking = `${String(block.thinking ?? '')}${String(delta.thinking ?? '')}`;
    else if (delta.type === 'signature_delta') block.signature = delta.signature;
    else if (delta.type === 'input_json_delta') this.partialJson.set(index, (this.partialJson.get(index) ?? '') + String(delta.partial_json ?? ''));
  }

  private finishBlock(index: number): void {
    const json = this.partialJson.get(index);
    const block = this.blocks[index];
    if (json === undefined || block === undefined) return;
    try {
      block.input = json === '' ? {} : JSON.parse(json) as unknown;
    } catch {
      this.unreadable = true;
    }
  }

  result(): Record<string, unknown> | undefined {
    if (!this.stopped || this.unreadable || this.message === undefined) return undefined;
    return { ...this.message, content: this.blocks.filter((b) => b !== undefined) };
  }
}

/** A cached Anthropic message as the events of a stream of it: each block whole in one delta. */
export function messageEvents(message: Record<string, unknown>): SseEvent[] {
  const events: SseEvent[] = [];
  const emit = (event: string, data: object): void => {
    events.push({ event, data: JSON.stringify({ type: event, ...data }) });
  };
  const usage = (message.usage ?? {}) as Record<string, unknown>;
  emit('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } } });
  const content = Array.isArray(message.content) ? message.content as Block[] : [];
  content.forEach((block, index) => {
    if (block.type === 'text') {
      emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
      emit('content_block_delta', { index, delta: { type: 'text_delta', text: block.text ?? '' } });
    } else if (block.type === 'thinking') {
      emit('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } });
      emit('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: block.thinking ?? '' } });
      emit('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature ?? '' } });
    } else if (block.type === 'tool_use') {
      emit('content_block_start', { index, content_block: { ...block, input: {} } });
      emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input ?? {}) } });
    } else {
      emit('content_block_start', { index, content_block: block });
    }
    emit('content_block_stop', { index });
  });
  emit('message_delta', { delta: { stop_reason: message.stop_reason ?? 'end_turn', stop_sequence: message.stop_sequence ?? null }, usage: { output_tokens: usage.output_tokens ?? 0 } });
  emit('message_stop', {});
  return events;
}
