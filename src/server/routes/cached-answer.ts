import { chatCompletionChunks, lookUp, messageEvents, NOT_CACHED, textCompletionChunks, type CacheDeps, type CacheLookup, type CostOf } from '../../cache/index.js';
import type { CallUsage, PriceBook } from '../../cost/index.js';
import type { CacheControls, SseEvent } from '../../protocol/index.js';
import { sendHead, sendJson } from '../http/respond.js';
import type { RequestContext } from '../request-context.js';
import { pipeEvents } from '../sse-writer.js';
import { EVENT_STREAM_HEADERS, finishOverhead, noteUsage } from './routed-request.js';

/** LiteLLM's header naming a cacheable answer's entry (hit or miss). */
export const CACHE_KEY_HEADER = 'x-litellm-cache-key';

/**
 * The cache's verdict on a request, noted for the log line, metrics and spend row, with the key
 * header; the one place the request path meets the cache. A request the cache does not take
 * (caching off, call type not cached, `mode: default_off` without opt-in) gets its verdict at
 * once, not as a promise: the route then pays no await for it.
 */
export function consultCache(
  ctx: RequestContext, cache: CacheDeps | undefined, callType: string, modelGroup: string, body: object, controls: CacheControls | undefined,
): CacheLookup | Promise<CacheLookup> {
  if (cache === undefined) return NOT_CACHED;
  const found = lookUp(cache, callType, modelGroup, body, withHeaderTtl(ctx, controls));
  if (found === NOT_CACHED) return found;
  return (found as Promise<CacheLookup>).then((lookup) => noteCache(ctx, lookup));
}

function noteCache(ctx: RequestContext, lookup: CacheLookup): CacheLookup {
  ctx.cache = lookup.verdict;
  ctx.cacheType = lookup.cacheType;
  if (lookup.key !== undefined) {
    ctx.cacheKey = lookup.key;
    ctx.headers.push(CACHE_KEY_HEADER, lookup.key);
  }
  // What the call that made the answer cost is what this one saved (null: it had no price).
  if (lookup.hit !== undefined && lookup.hit.costUsd !== undefined) ctx.savedUsd = lookup.hit.costUsd;
  return lookup;
}

/**
 * LiteLLM reads one request header for its cache: `Cache-Control: s-maxage=N` becomes the
 * request's `ttl` (how long its answer is stored), and the body's `cache.ttl` wins over it. Other
 * directives are not read, as in LiteLLM: HTTP clients and proxies send `Cache-Control: no-cache`
 * of their own accord, and it must not quietly turn the cache off. A value that is not a whole
 * number of seconds above 0 is ignored (the header is not the caller's alone to set).
 */
function withHeaderTtl(ctx: RequestContext, controls: CacheControls | undefined): CacheControls | undefined {
  if (controls?.ttlSeconds !== undefined) return controls;
  const header = ctx.request.headers['cache-control'];
  if (header === undefined) return controls;
  const match = /(?:^|[,\s])s-maxage\s*=\s*"?(\d{1,9})"?\s*(?:,|$)/i.exec(header);
  const ttl = match === null ? 0 : Number(match[1]);
  if (ttl <= 0) return controls;
  return { ...(controls ?? { useCache: false, noCache: false, noStore: false }), ttlSeconds: ttl };
}

/** What a routed answer cost, read from its body when the cache stores it: what a later hit saves. */
export function answerCost(ctx: RequestContext, prices: PriceBook, deploymentId: string, usageOf: (body: unknown) => CallUsage | undefined): CostOf {
  return (body) => {
    const usage = usageOf(body);
    if (usage === undefined) return undefined;
    return prices.cost(deploymentId, usage, (performance.now() - ctx.startedAt) / 1000)?.usd ?? null;
  };
}

/** A hit on the OpenAI API (chat or text completion): the JSON, or the same answer as a well-formed chunk stream. */
export async function sendCachedOpenAI(ctx: RequestContext, body: unknown, stream: boolean, includeUsage: boolean, kind: 'chat' | 'text' = 'chat'): Promise<void> {
  finishOverhead(ctx);
  noteUsage(ctx, (body as { usage?: unknown }).usage);
  if (!stream) {
    sendJson(ctx, 200, body);
    return;
  }
  sendHead(ctx, 200, EVENT_STREAM_HEADERS);
  const events = kind === 'text' ? textCompletionChunks(body as Record<string, unknown>, includeUsage) : chatCompletionChunks(body as Record<string, unknown>, includeUsage);
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
