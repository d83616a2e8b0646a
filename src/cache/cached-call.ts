import type { CacheSettings } from '../config/index.js';
import type { CacheControls, SseEvent } from '../protocol/index.js';
import type { Answer, EventStream } from '../providers/index.js';
import { cacheKey } from './cache-key.js';
import { ChatStreamAssembly } from './chat-stream-assembly.js';
import { MessageStreamAssembly } from './message-stream.js';
import type { CachedAnswer, ResponseCache } from './response-cache.js';
import { TextCompletionAssembly } from './text-completion-stream.js';

/** What the cache did for a request, for its log line: answered it, looked and found nothing, or stayed out. */
export type CacheVerdict = 'hit' | 'miss' | 'skip';

export interface CacheLookup {
  readonly verdict: CacheVerdict;
  /** Undefined when the request is not cacheable (caching off, call type not cached, default_off). */
  readonly cacheType?: 'redis' | 'local';
  /** Set on every cacheable request (hit or miss), for `x-litellm-cache-key`. */
  readonly key?: string;
  readonly hit?: CachedAnswer;
  /**
   * The routed answer, stored once it is known whole and fit (JSON at once; a stream when it ends
   * whole), with what it cost (`costOf`, given the answer's body: USD, null when unpriced).
   */
  store<R extends { answer: Answer<unknown> }>(routed: R, costOf?: CostOf): R;
  /** A JSON answer, stored when fit (embeddings). */
  storeJson(body: unknown, costOf?: CostOf): void;
}

/** What the call that made an answer cost, read from the answer (its usage): USD, null when unpriced, undefined when unknown. */
export type CostOf = (body: unknown) => number | null | undefined;

export interface CacheDeps {
  readonly cache: ResponseCache;
  readonly settings: CacheSettings;
  /** Each answer written (metrics): when the write is done, which may be after its request ended. */
  onStored?: (modelGroup: string, cacheType: string, bytes: number) => void;
}

/** Finish reasons that never go into the cache (an answer a filter cut is not one to repeat). */
const UNCACHEABLE_FINISH = new Set(['content_filter', 'refusal']);

export const NOT_CACHED: CacheLookup = { verdict: 'skip', store: (routed) => routed, storeJson: () => {} };

interface Assembly {
  add(event: SseEvent): void;
  result(): unknown;
}

/** How a stream of each call type is put back together into the answer it amounts to. */
function assemblyFor(callType: string): () => Assembly {
  if (callType === 'messages') return () => new MessageStreamAssembly();
  if (callType === 'text_completion') return () => new TextCompletionAssembly();
  return () => new ChatStreamAssembly();
}

/**
 * Whether a request takes part: the call type must be one of `supported_call_types` (LiteLLM's
 * names, sync or async); with `mode: default_off` only a request sending `cache: {"use-cache": true}`.
 */
export function isCacheable(deps: CacheDeps, callType: string, controls: CacheControls | undefined): boolean {
  const { settings } = deps;
  // The Messages API is chat (LiteLLM's anthropic_messages call type, or acompletion as it has no other name in older configs).
  const asType = callType === 'messages' ? ['anthropic_messages', 'completion'] : [callType];
  if (!asType.some((t) => settings.callTypes.has(t) || settings.callTypes.has(`a${t}`))) return false;
  return !settings.defaultOff || (controls?.useCache ?? false);
}

/**
 * Looks a request up. Not cacheable (caching off, call type not cached, default_off without
 * opt-in): NOT_CACHED at once, no promise, so the request path pays no await for a cache it does
 * not use. Else `no-cache` skips the read (the answer is still stored unless `no-store`),
 * `s-maxage` accepts only a younger entry.
 */
export function lookUp(deps: CacheDeps | undefined, callType: string, modelGroup: string, body: object, controls: CacheControls | undefined): CacheLookup | Promise<CacheLookup> {
  if (deps === undefined || !isCacheable(deps, callType, controls)) return NOT_CACHED;
  return find(deps, callType, modelGroup, body, controls);
}

async function find(deps: CacheDeps, callType: string, modelGroup: string, body: object, controls: CacheControls | undefined): Promise<CacheLookup> {
  const { cache, settings } = deps;
  // A request's own namespace is hashed into the key's prefix, so that no client text reaches a Redis key as it is.
  const key = controls?.namespace === undefined ? cacheKey(callType, modelGroup, body) : `${cacheKey('ns', controls.namespace, {}).slice(3, 19)}:${cacheKey(callType, modelGroup, body)}`;
  const assembly = assemblyFor(callType);
  const hit = controls?.noCache ? undefined : await cache.get(key, controls?.maxAgeSeconds === undefined ? undefined : controls.maxAgeSeconds * 1000);
  const ttlMs = controls?.ttlSeconds === undefined ? settings.ttlMs : controls.ttlSeconds * 1000;
  const lookup: CacheLookup = {
    cacheType: cache.type,
    verdict: hit !== undefined ? 'hit' : controls?.noCache ? 'skip' : 'miss',
    key,
    hit,
    storeJson: (json, costOf) => {
      if (controls?.noStore || !fitToStore(json)) return;
      void cache.put(key, json, ttlMs, costOf?.(json)).then((bytes) => {
        if (bytes > 0) deps.onStored?.(modelGroup, cache.type, bytes);
      });
    },
    store: (routed, costOf) => {
      const answer = routed.answer;
      if (controls?.noStore) return routed;
      if (!answer.stream) {
        lookup.storeJson(answer.body, costOf);
        return routed;
      }
      return { ...routed, answer: { stream: true, events: storingWhenWhole(answer.events, assembly(), (json) => lookup.storeJson(json, costOf)) } };
    },
  };
  return lookup;
}

/** Passes a stream on untouched; when (and only when) it ends whole, stores the answer it amounts to. */
async function* storingWhenWhole(events: EventStream, assembly: Assembly, put: (json: unknown) => void): EventStream {
  for await (const batch of events) {
    for (const event of batch) assembly.add(event);
    yield batch;
  }
  // Reached only when the upstream's stream ended: an error thrown or a client gone leaves before.
  const body = assembly.result();
  if (body !== undefined) put(body);
}

function fitToStore(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  const message = json as { type?: unknown; stop_reason?: unknown; choices?: unknown };
  if (message.type === 'message') return typeof message.stop_reason === 'string' && !UNCACHEABLE_FINISH.has(message.stop_reason);
  const choices = message.choices;
  if (!Array.isArray(choices)) return true; // embeddings, …
  return choices.every((c: { finish_reason?: unknown }) => typeof c?.finish_reason === 'string' && !UNCACHEABLE_FINISH.has(c.finish_reason));
}
