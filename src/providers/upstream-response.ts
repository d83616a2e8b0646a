import { redact, upstreamFailure, type GatewayError } from '../core/index.js';
import { cutAtEnd, nestingProblem, RESPONSES_TERMINAL_EVENTS, SseByteDecoder, type AnswerShape, type SseEvent } from '../protocol/index.js';
import type { EventStream } from './adapter.js';
import { classifyTransportError, type UpstreamRequest, type UpstreamResponse } from './http-pool.js';

/**
 * Reading what an upstream answered: JSON bodies, SSE streams and error responses. Every error
 * made here reports the upstream's own doing (origin `upstream`), so it may count against the
 * deployment; see core/errors.ts.
 */

const MAX_ERROR_TEXT = 2_000;

/**
 * A JSON answer that is what the API promises (`shape`), else upstream_invalid_response. Nesting
 * is bounded as for requests: the answer is serialized again on its way out, and a tower of
 * `[[[[…` would overflow that (a walk of a few ns per value, against ~100 for parsing it).
 */
export async function readJsonBody<T>(response: UpstreamResponse, request: UpstreamRequest, shape: AnswerShape): Promise<T> {
  if (response.statusCode >= 400) throw await errorFromResponse(response, request);
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw classifyTransportError(error, request);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw upstreamFailure('upstream_invalid_response', `${request.label} answered with a body that is not JSON: ${preview(text)}`);
  }
  const problem = nestingProblem(body)?.message ?? shape.problem(body);
  if (problem !== undefined) throw upstreamFailure('upstream_invalid_response', `${request.label} answered 200 with a body that is not ${shape.name}: ${problem}`);
  return body as T;
}

/** Which API a stream speaks: how it ends, and how it shows that it was not cut short. */
export type StreamProtocol = 'openai' | 'anthropic' | 'responses' | 'gemini';

/**
 * Upstream SSE as batches of events (what each read completed); errors while reading become
 * GatewayErrors. On `openai` streams the `[DONE]` sentinel ends the stream and is not yielded,
 * and an `{"error": …}` event is thrown (after the events before it). A stream whose body ends
 * without its proper end is truncated, and thrown as the upstream's failure (after all its
 * events): an OpenAI stream must have sent `[DONE]` or a finish reason, an Anthropic one
 * `message_stop`. Without this a cut stream would reach the client as a normal end.
 */
export async function openEventStream(response: UpstreamResponse, request: UpstreamRequest, protocol: StreamProtocol): Promise<EventStream> {
  if (response.statusCode >= 400) throw await errorFromResponse(response, request);
  const type = String(response.headers['content-type'] ?? '');
  if (!type.includes('text/event-stream')) {
    const text = await response.text().catch(() => '');
    throw upstreamFailure('upstream_invalid_response', `${request.label} was asked to stream but answered ${type || 'without a content type'}: ${preview(text)}`);
  }
  return iterateEvents(response, request, protocol);
}

async function* iterateEvents(response: UpstreamResponse, request: UpstreamRequest, protocol: StreamProtocol): AsyncGenerator<SseEvent[]> {
  // Decoded synchronously, a batch of chunks at a time: the async steps are per upstream read.
  const decoder = new SseByteDecoder();
  const openai = protocol === 'openai';
  // Gemini ends with no sentinel (its last event has a finishReason) and reports a failure after
  // the first byte as an `{"error": …}` event, as OpenAI-compatible servers do.
  const gemini = protocol === 'gemini';
  const cut = (events: SseEvent[]) => (openai || gemini ? cutAtEnd(events, endsOpenAIStream) : protocol === 'responses' ? cutAtEnd(events, isErrorEvent) : { before: events, end: undefined });
  const completes = openai ? hasFinishReason : gemini ? hasGeminiFinishReason : protocol === 'responses' ? endsResponse : isMessageStop;
  let complete = false;
  try {
    for await (const chunks of response) {
      const { before, end } = cut(chunks.length === 1 ? decoder.push(chunks[0] as Buffer) : chunks.flatMap((chunk) => decoder.push(chunk)));
      // Looked for only until found: most events are then not looked at.
      if (!complete) complete = before.some(completes);
      if (before.length > 0) yield before;
      if (end !== undefined) return endOpenAIStream(end, request);
    }
    const { before, end } = cut(decoder.end());
    if (!complete) complete = before.some(completes);
    if (before.length > 0) yield before;
    if (end !== undefined) return endOpenAIStream(end, request);
    if (!complete) throw truncated(request, protocol);
  } catch (error) {
    throw classifyTransportError(error, request);
  }
}

/**
 * A chunk that ends its choice: a non-null `finish_reason` (written compactly or as Python's json
 * writes it). A server that sends one but omits `[DONE]` has still finished.
 */
function hasFinishReason(event: SseEvent): boolean {
  // One search of the chunk, not one per spelling: this runs on every event until the finish.
  const data = event.data;
  for (let at = data.indexOf(FINISH_KEY); at !== -1; at = data.indexOf(FINISH_KEY, at + FINISH_KEY.length)) {
    let value = at + FINISH_KEY.length;
    if (data.charCodeAt(value) === 0x20) value++;
    if (data.charCodeAt(value) === 0x22) return true;
  }
  return false;
}
const FINISH_KEY = 'finish_reason":';

function hasGeminiFinishReason(event: SseEvent): boolean {
  return event.data.includes('"finishReason"');
}

function isMessageStop(event: SseEvent): boolean {
  return event.event === 'message_stop';
}

/** A Responses stream is over at `response.completed` (or `.incomplete`, `.failed`), which carries the whole Response. */
function endsResponse(event: SseEvent): boolean {
  return event.event !== undefined && RESPONSES_TERMINAL_EVENTS.has(event.event);
}

/** A Responses stream reports a failure after its first byte as `event: error`. */
function isErrorEvent(event: SseEvent): boolean {
  return event.event === 'error';
}

function truncated(request: UpstreamRequest, protocol: StreamProtocol): GatewayError {
  const missing = protocol === 'openai' ? 'without [DONE] or a finish_reason' : protocol === 'gemini' ? 'without a finishReason' : protocol === 'responses' ? 'before response.completed' : 'before message_stop';
  return upstreamFailure('upstream_error', `${request.label} ended the stream ${missing}: the answer was cut short`);
}

/** `[DONE]`, or an error event: either ends an OpenAI stream. */
function endsOpenAIStream(event: SseEvent): boolean {
  return event.data === '[DONE]' || event.data.startsWith('{"error"');
}

/** `[DONE]` ends the stream quietly; an error event (either API's) is thrown. */
function endOpenAIStream(event: SseEvent, request: UpstreamRequest): void {
  if (event.data !== '[DONE]') throw errorFromStreamEvent(event.data, request);
}

function errorFromStreamEvent(data: string, request: UpstreamRequest): GatewayError {
  const message = extractMessage(data) ?? preview(data);
  return upstreamFailure('upstream_error', `${request.label} failed mid-stream: ${message}`);
}

/** An error response from upstream as a GatewayError: 4xx kept, 429 keeps Retry-After, 5xx → 502. */
export async function errorFromResponse(response: UpstreamResponse, request: Pick<UpstreamRequest, 'label'>): Promise<GatewayError> {
  const text = await response.text().catch(() => '');
  const status = response.statusCode;
  const parsed = parseErrorBody(text);
  const message = parsed.message ?? (preview(text) || `HTTP ${status}`);
  const common = { upstreamStatus: status, upstreamCode: parsed.code ?? null };
  if (status === 429) {
    // Both forms: OpenAI's `retry-after-ms` is the more precise, and the router reads either.
    const headers: Record<string, string> = {};
    for (const name of ['retry-after', 'retry-after-ms']) {
      const value = response.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return upstreamFailure('rate_limited', `${request.label} is rate limited: ${message}`, { ...common, headers });
  }
  if (status >= 400 && status < 500) {
    return upstreamFailure('upstream_client_error', message, { ...common, status, upstreamType: parsed.type, param: parsed.param });
  }
  return upstreamFailure('upstream_error', `${request.label} answered HTTP ${status}: ${message}`, common);
}

interface ParsedError {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

function parseErrorBody(text: string): ParsedError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (body === null || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'string') return { message: redact(inner) };
  if (inner !== null && typeof inner === 'object') {
    const e = inner as Record<string, unknown>;
    return {
      message: typeof e.message === 'string' ? redact(e.message) : undefined,
      type: typeof e.type === 'string' ? e.type : undefined,
      code: typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : undefined,
      param: typeof e.param === 'string' ? e.param : undefined,
    };
  }
  if (typeof record.message === 'string') return { message: redact(record.message) };
  if (typeof record.detail === 'string') return { message: redact(record.detail) };
  return {};
}

function extractMessage(text: string): string | undefined {
  return parseErrorBody(text).message;
}

function preview(text: string): string {
  const trimmed = text.trim();
  return redact(trimmed.length > MAX_ERROR_TEXT ? `${trimmed.slice(0, MAX_ERROR_TEXT)}…` : trimmed);
}
