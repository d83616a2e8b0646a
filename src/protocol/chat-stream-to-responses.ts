import {
  functionCallItem, messageItem, reasoningItem, responseShell, responsesUsageOf, statusOf, type ResponseFrame,
} from './chat-to-responses.js';
import { parseEventData, type EventTranslator } from './event-translator.js';
import type { ChatCompletionChunk, FinishReason, Usage } from './openai.js';
import { CONTENT_CHUNK } from './openai-stream-to-anthropic.js';
import type { ResponseObject, ResponsesItem } from './responses-types.js';
import type { SseEvent } from './sse.js';

interface TextItem {
  kind: 'message' | 'reasoning';
  index: number;
  id: string;
  /** The text so far, as the insides of JSON string literals (joined and quoted, one literal). */
  parts: string[];
  /** The event head every delta of this item shares (its id and index), written once. */
  head: string;
}

interface CallItem {
  index: number;
  id: string;
  callId: string;
  name: string;
  args: string;
}

/**
 * OpenAI chat completion chunks → the Responses event sequence, each event numbered
 * (`sequence_number`): `response.created`, `response.in_progress`, then per output item
 * `output_item.added`, its part (`content_part.added` / `reasoning_summary_part.added`), deltas
 * (`output_text.delta`, `reasoning_summary_text.delta`, `function_call_arguments.delta`), their
 * `…done` events and `output_item.done`, and at the end `response.completed` (or
 * `response.incomplete`) with the whole Response and its usage, which arrives last in a chat
 * stream (`stream_options.include_usage`, which the translation always asks for).
 *
 * A text or reasoning item stays open until something else begins; function calls stay open
 * until the end (a chat stream may interleave parallel calls' arguments). Text deltas from the
 * common chunk layout are spliced in as they came, with no JSON.parse (as in
 * openai-stream-to-anthropic.ts).
 */
export class ChatToResponsesStream implements EventTranslator {
  private sequence = 0;
  private started = false;
  private model: string;
  private open: TextItem | undefined;
  private readonly calls = new Map<number, CallItem>();
  /** Output items by output index, filled as each is done. */
  private readonly output: ResponsesItem[] = [];
  private nextIndex = 0;
  private finish: FinishReason | undefined;
  private usage: Usage | undefined;
  /** Claude's signed thinking blocks, when the chat stream carries them. */
  private readonly thinkingBlocks: Array<Record<string, unknown> & { type: string }> = [];

  constructor(private readonly frame: ResponseFrame, private readonly label = 'the upstream') {
    this.model = frame.request.model;
  }

  push(event: SseEvent): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.open?.kind === 'message' && this.started) {
      const literal = CONTENT_CHUNK.exec(event.data)?.[1];
      if (literal !== undefined) {
        if (literal !== '""') this.textDelta(this.open, literal, out);
        return out;
      }
    }
    const chunk = parseEventData(event, this.label) as Partial<ChatCompletionChunk>;
    if (!this.started) this.start(chunk, out);
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (choice === undefined) return out;
    const delta = choice.delta ?? {};
    if (Array.isArray(delta.thinking_blocks)) this.thinkingBlocks.push(...(delta.thinking_blocks as typeof this.thinkingBlocks));
    const reasoning = delta.reasoning_content;
    if (typeof reasoning === 'string' && reasoning !== '') this.textDelta(this.textItem('reasoning', out), JSON.stringify(reasoning), out);
    const content = delta.content;
    if (typeof content === 'string' && content !== '') this.textDelta(this.textItem('message', out), JSON.stringify(content), out);
    for (const call of delta.tool_calls ?? []) this.toolCallDelta(call, out);
    if (choice.finish_reason != null) this.finish = choice.finish_reason;
    return out;
  }

  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (!this.started) this.start({}, out);
    // A stream cut short never gets here (upstream-response.ts throws first); one that ended with
    // [DONE] but no finish reason is complete.
    this.finish ??= 'stop';
    this.closeText(out);
    for (const call of this.calls.values()) this.closeCall(call, out);
    const { status, incomplete_details } = statusOf(this.finish);
    const response: ResponseObject = {
      ...responseShell(this.frame, this.model),
      status,
      completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
      incomplete_details,
      output: this.output.filter((item) => item !== undefined),
      usage: responsesUsageOf(this.usage),
    };
    out.push(this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', `"response":${JSON.stringify(response)}`));
    return out;
  }

  private start(chunk: Partial<ChatCompletionChunk>, out: SseEvent[]): void {
    this.started = true;
    if (typeof chunk.model === 'string' && chunk.model !== '') this.model = chunk.model;
    const shell = JSON.stringify(responseShell(this.frame, this.model));
    out.push(this.event('response.created', `"response":${shell}`), this.event('response.in_progress', `"response":${shell}`));
  }

  /** The open item of this kind, or a new one (closing whatever else was open). */
  private textItem(kind: TextItem['kind'], out: SseEvent[]): TextItem {
    if (this.open?.kind === kind) return this.open;
    this.closeText(out);
    const index = this.nextIndex++;
    const id = this.frame.ids.id(kind === 'message' ? 'msg' : 'rs');
    const item = kind === 'message'
      ? { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] }
      : { id, type: 'reasoning', summary: [] };
    out.push(this.event('response.output_item.added', `"output_index":${index},"item":${JSON.stringify(item)}`));
    const where = `"item_id":"${id}","output_index":${index}`;
    if (kind === 'message') {
      out.push(this.event('response.content_part.added', `${where},"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`));
    } else {
      out.push(this.event('response.reasoning_summary_part.added', `${where},"summary_index":0,"part":{"type":"summary_text","text":""}`));
    }
    this.open = { kind, index, id, parts: [], head: kind === 'message' ? `${where},"content_index":0` : `${where},"summary_index":0` };
    return this.open;
  }

  /** `literal` is the delta as a JSON string literal, spliced into the event as it is. */
  private textDelta(item: TextItem, literal: string, out: SseEvent[]): void {
    item.parts.push(literal.slice(1, -1));
    if (item.kind === 'message') out.push(this.event('response.output_text.delta', `${item.head},"delta":${literal},"logprobs":[]`));
    else out.push(this.event('response.reasoning_summary_text.delta', `${item.head},"delta":${literal}`));
  }

  private closeText(out: SseEvent[]): void {
    const item = this.open;
    if (item === undefined) return;
    this.open = undefined;
    // The insides of valid string literals, joined, are the inside of one: the whole text's literal.
    const text = `"${item.parts.join('')}"`;
    const plain = JSON.parse(text) as string;
    let done: ResponsesItem;
    if (item.kind === 'message') {
      const status = statusOf(this.finish).status === 'incomplete' ? 'incomplete' : 'completed';
      out.push(this.event('response.output_text.done', `${item.head},"text":${text},"logprobs":[]`));
      out.push(this.event('response.content_part.done', `${item.head},"part":{"type":"output_text","text":${text},"annotations":[],"logprobs":[]}`));
      done = messageItem(item.id, plain, status);
    } else {
      out.push(this.event('response.reasoning_summary_text.done', `${item.head},"text":${text}`));
      out.push(this.event('response.reasoning_summary_part.done', `${item.head},"part":{"type":"summary_text","text":${text}}`));
      done = reasoningItem(item.id, plain, this.thinkingBlocks.splice(0));
    }
    this.output[item.index] = done;
    out.push(this.event('response.output_item.done', `"output_index":${item.index},"item":${JSON.stringify(done)}`));
  }

  private toolCallDelta(delta: NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number], out: SseEvent[]): void {
    let call = this.calls.get(delta.index);
    if (call === undefined) {
      this.closeText(out);
      call = { index: this.nextIndex++, id: this.frame.ids.id('fc'), callId: delta.id ?? '', name: delta.function?.name ?? '', args: '' };
      this.calls.set(delta.index, call);
      const item = { id: call.id, type: 'function_call', status: 'in_progress', arguments: '', call_id: call.callId, name: call.name };
      out.push(this.event('response.output_item.added', `"output_index":${call.index},"item":${JSON.stringify(item)}`));
    }
    const piece = delta.function?.arguments;
    if (typeof piece === 'string' && piece !== '') {
      call.args += piece;
      out.push(this.event('response.function_call_arguments.delta', `"item_id":"${call.id}","output_index":${call.index},"delta":${JSON.stringify(piece)}`));
    }
  }

  private closeCall(call: CallItem, out: SseEvent[]): void {
    const args = JSON.stringify(call.args);
    out.push(this.event('response.function_call_arguments.done', `"item_id":"${call.id}","output_index":${call.index},"name":${JSON.stringify(call.name)},"arguments":${args}`));
    const done = functionCallItem(call.id, call.callId, call.name, call.args);
    this.output[call.index] = done;
    out.push(this.event('response.output_item.done', `"output_index":${call.index},"item":${JSON.stringify(done)}`));
  }

  /** One event: `fields` are the event's own fields, already serialized, after its type and number. */
  private event(type: string, fields: string): SseEvent {
    return { event: type, data: `{"type":"${type}","sequence_number":${this.sequence++},${fields}}` };
  }
}
