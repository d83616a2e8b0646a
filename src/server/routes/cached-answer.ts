import { chatCompletionChunks, messageEvents, type CacheLookup } from '../../cache/index.js';
import type { SseEvent } from '../../protocol/index.js';
import { sendHead, sendJson } from '../http/respond.js';
import type { RequestContext } from '../request-context.js';
import { pipeEvents } from '../sse-writer.js';
import { EVENT_STREAM_HEADERS, finishOverhead, noteUsage } from './routed-request.js';

/** LiteLLM's header naming a cacheable answer's entry (hit or miss). */
export const CACHE_KEY_HEADER = 'x-litellm-cache-key';

/** The verdict for the log line and the key header; the one place the request path meets the cache. */
export function noteCache(ctx: RequestContext, lookup: CacheLookup): void {
  ctx.cache = lookup.verdict;
  ctx.cacheType = lookup.cacheType;
  if (lookup.key !== undefined) ctx.headers.push(CACHE_KEY_HEADER, lookup.key);
}

/** A hit on the OpenAI API: the JSON, or the same answer as a well-formed chunk stream. */
export async function sendCachedOpenAI(ctx: RequestContext, body: unknown, stream: boolean, includeUsage: boolean): Promise<void> {
  finishOverhead(ctx);
  noteUsage(ctx, (body as { usage?: unknown }).usage);
  if (!stream) {
    sendJson(ctx, 200, body);
    return;
  }
  sendHead(ctx, 200, EVENT_STREAM_HEADERS);
  const events = chatCompletionChunks(body as Record<string, unknown>, includeUsage);
  const outcome = await pipeEvents(ctx.response, once(events), { shape: 'openai', done: true, onEvent: () => {} });
  if (outcome.firstEventAt !== undefined) ctx.firstByteMs = outcome.firstEventAt - ctx.startedAt;
}

/** A hit on the Anthropic Messages API: the message JSON, or the same answer as its event stream. */
export async function sendCachedMessage(ctx: RequestContext, message: unknown, stream: boolean): Promise<void> {
  finishOverhead(ctx);
  if (!stream) {
    sendJson(ctx, 200, message);
    return;
  }
  sendHead(ctx, 200, EVENT_STREAM_HEADERS);
  const outcome = await pipeEvents(ctx.response, once(messageEvents(message as Record<string, unknown>)), { shape: 'anthropic', done: false, onEvent: () => {} });
  if (outcome.firstEventAt !== undefined) ctx.firstByteMs = outcome.firstEventAt - ctx.startedAt;
}

async function* once(events: SseEvent[]): AsyncIterable<SseEvent[]> {
  yield events;
}
