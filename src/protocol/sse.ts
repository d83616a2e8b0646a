import { StringDecoder } from 'node:string_decoder';

/**
 * Server-sent events: an incremental decoder for upstream streams and the encoders the server
 * writes with. The decoder follows the WHATWG rules that matter for LLM APIs: `event:` and
 * `data:` fields, multi-line data joined with "\n", comments ignored, CRLF or LF line ends.
 */

export interface SseEvent {
  /** `event:` field; absent for OpenAI-style streams. */
  event?: string;
  data: string;
}

export class SseDecoder {
  private buffer = '';
  private eventName: string | undefined;
  private dataLines: string[] = [];

  /** Feeds text; returns the events it completed. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const newline = this.buffer.indexOf('\n', start);
      if (newline === -1) break;
      let line = this.buffer.slice(start, newline);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = newline + 1;
      this.takeLine(line, events);
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
    return events;
  }

  /** Ends the stream: a final event without its blank line still counts. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.buffer.length > 0) {
      this.takeLine(this.buffer.replace(/\r$/, ''), events);
      this.buffer = '';
    }
    this.takeLine('', events);
    return events;
  }

  private takeLine(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.dataLines.length > 0) {
        const event: SseEvent = { data: this.dataLines.join('\n') };
        if (this.eventName !== undefined) event.event = this.eventName;
        events.push(event);
      }
      this.dataLines = [];
      this.eventName = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
  }
}

/**
 * Bytes in, events out: UTF-8 decoding (a character split across chunks included; a leading BOM
 * dropped, as the SSE rules say) and the SSE rules above. Synchronous, so that a stream reader
 * pays no async step per event. node's StringDecoder rather than TextDecoder: on node 20 the
 * latter costs 3-7× as much per chunk (0.31 against 0.11 µs for one event, 4.0 against 0.55 µs
 * for 22).
 */
export class SseByteDecoder {
  private readonly text = new StringDecoder('utf8');
  private readonly events = new SseDecoder();
  private started = false;

  push(chunk: Uint8Array | string): SseEvent[] {
    return this.events.push(this.begin(typeof chunk === 'string' ? chunk : this.text.write(chunk as Buffer)));
  }

  end(): SseEvent[] {
    return [...this.events.push(this.begin(this.text.end())), ...this.events.end()];
  }

  private begin(text: string): string {
    if (this.started || text === '') return text;
    this.started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

export function encodeSse(event: SseEvent): string {
  const data = event.data.includes('\n') ? event.data.split('\n').join('\ndata: ') : event.data;
  return event.event === undefined ? `data: ${data}\n\n` : `event: ${event.event}\ndata: ${data}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * Whether an OpenAI stream event may carry usage (a cheap test run on every event; a false
 * positive only costs a parse). The pattern leaves out the opening quote on purpose: a search
 * starts from the pattern's first character, and JSON is full of quotes, so `"usage":{` costs
 * about ten times `usage":{` on a typical chunk (240 against 25 ns).
 */
export function mayCarryUsage(data: string): boolean {
  return data.includes('usage":{');
}
