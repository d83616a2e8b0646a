import { StringDecoder } from 'node:string_decoder';
import { redact, upstreamFailure } from '../core/index.js';
import { SseByteDecoder, type SseEvent } from '../protocol/index.js';
import type { EventStream } from './adapter.js';
import { classifyTransportError, type UpstreamRequest, type UpstreamResponse } from './http-pool.js';
import { errorFromResponse } from './upstream-response.js';

/**
 * Streams of APIs other than OpenAI's and Anthropic's, read as batches of events (what one
 * upstream read completed), for a translator to turn into OpenAI chunks: Cohere's SSE, whose
 * events end at `message-end`, and Ollama's newline-delimited JSON, one object per line (each line
 * an event whose `data` is the line). As with the other streams, a body that ends before the API's
 * own end is the upstream's failure (a cut stream must not reach the client as a normal end).
 */
export interface StreamFraming {
  /** How each content type that means a stream is framed (`text/event-stream`: sse, `application/x-ndjson`: ndjson). */
  formats: Readonly<Record<string, 'sse' | 'ndjson'>>;
  /** The event that shows the stream is complete. */
  completes(event: SseEvent): boolean;
  /** For the truncation error: "before message-end". */
  missing: string;
  /** Makes the error for an answer of status 400 or more (default: errorFromResponse). */
  errorFrom?: typeof errorFromResponse;
}

export async function openFramedStream(response: UpstreamResponse, request: UpstreamRequest, framing: StreamFraming): Promise<EventStream> {
  if (response.statusCode >= 400) throw await (framing.errorFrom ?? errorFromResponse)(response, request);
  const type = String(response.headers['content-type'] ?? '');
  const kind = Object.entries(framing.formats).find(([name]) => type.includes(name))?.[1];
  if (kind === undefined) {
    const text = await response.text().catch(() => '');
    const preview = text.length > 500 ? `${text.slice(0, 500)}…` : text;
    throw upstreamFailure('upstream_invalid_response', `${request.label} was asked to stream but answered ${type || 'without a content type'}: ${redact(preview.trim())}`);
  }
  return readFramed(response, request, framing, kind);
}

async function* readFramed(response: UpstreamResponse, request: UpstreamRequest, framing: StreamFraming, kind: 'sse' | 'ndjson'): AsyncGenerator<SseEvent[]> {
  const decoder = kind === 'sse' ? new SseByteDecoder() : new NdjsonDecoder();
  let complete = false;
  try {
    for await (const chunks of response) {
      const events = chunks.length === 1 ? decoder.push(chunks[0] as Buffer) : chunks.flatMap((chunk) => decoder.push(chunk));
      if (!complete) complete = events.some(framing.completes);
      if (events.length > 0) yield events;
    }
    const rest = decoder.end();
    if (!complete) complete = rest.some(framing.completes);
    if (rest.length > 0) yield rest;
  } catch (error) {
    throw classifyTransportError(error, request);
  }
  if (!complete) throw upstreamFailure('upstream_error', `${request.label} ended the stream ${framing.missing}: the answer was cut short`);
}

/**
 * Newline-delimited JSON, one event per non-blank line. Bytes are decoded as UTF-8 across chunk
 * boundaries. Lines are split here rather than by a stream library (ndjson, split2): those are
 * Node Transform streams emitting a line at a time, while the gateway reads a batch of chunks per
 * upstream read and wants that batch's lines back at once.
 */
export class NdjsonDecoder {
  private readonly text = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer): SseEvent[] {
    return this.lines(this.pending + this.text.write(chunk));
  }

  end(): SseEvent[] {
    const last = this.pending + this.text.end();
    this.pending = '';
    const line = last.trim();
    return line === '' ? [] : [{ data: line }];
  }

  private lines(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const line = text.slice(start, newline).trim();
      if (line !== '') events.push({ data: line });
      start = newline + 1;
    }
    this.pending = start === 0 ? text : text.slice(start);
    return events;
  }
}
