import type { CacheSettings } from '../config/index.js';
import type { CacheControls, SseEvent } from '../protocol/index.js';
import type { Answer, EventStream } from '../providers/index.js';
import { cacheKey } from './cache-key.js';
import { ChatStreamAssembly } from './chat-stream-assembly.js';
import { MessageStreamAssembly } from './message-stream.js';
import type { CachedAnswer, ResponseCache } from './response-cache.js';

/** What the cache did for a request, for its log line: answered it, looked and found nothing, or stayed out. */
export type CacheVerdict = 'hit' | 'miss' | 'skip';

export interface CacheLookup {
  readonly verdict: CacheVerdict;
  /** Undefined when the request is not cacheable (caching off, call type not cached, default_off). */
  readonly cacheType?: 'redis' | 'local';
  /** Set on every cacheable request (hit or miss), for `x-litellm-cache-key`. */
  readonly key?: string;
  readonly hit?: CachedAnswer;
  /** The routed answer, stored once it is known whole and fit (JSON at once; a stream when it ends whole). */
  store<R extends { answer: Answer<unknown> }>(routed: R): R;
  /** A JSON answer, stored when fit (embeddings). */
  storeJson(body: unknown): void;
}

export interface CacheDeps {
  readonly cache: ResponseCache;
  readonly settings: CacheSettings;
  /** Each answer written (metrics): when the write is done, which may be after its request ended. */
  onStored?: (modelGroup: string, cacheType: string, bytes: number) => void;
}

/** Finish reasons that never go into the cache (an answer a filter cut is not one to repeat). */
const UNCACHEABLE_FINISH = new Set(['content_filter', 'refusal']);

const NOT_CACHED: CacheLookup = { verdict: 'skip', store: (routed) => routed, storeJson: () => {} };

/**
 * Looks a request up: the call type must be one of `supported_call_types`; with `mode:
 * default_off` only a request that sends `cache` controls takes part; `no-cache` skips the read
 * (the answer is still stored unless `no-store`), `s-maxage` accepts only a younger entry.
 */
export async function lookUp(deps: CacheDeps | undefined, callType: string, modelGroup: string, body: object, controls: CacheControls | undefined): Promise<CacheLookup> {
  if (deps === undefined) return NOT_CACHED;
  const { cache, settings } = deps;
  // The Messages API is chat (LiteLLM's anthropic_messages call type, or acompletion as it has no other name in older configs).
  const asType = callType === 'messages' ? ['anthropic_messages', 'completion'] : [callType];
  if (!asType.some((t) => settings.callTypes.has(t) || settings.callTypes.has(`a${t}`))) return NOT_CACHED;
  if (settings.defaultOff && !(controls?.useCache ?? false)) return NOT_CACHED;
  // A request's own namespace is hashed into the key's prefix, so that no client text reaches a Redis key as it is.
  const key = controls?.namespace === undefined ? cacheKey(callType, modelGroup, body) : `${cacheKey('ns', controls.namespace, {}).slice(3, 19)}:${cacheKey(callType, modelGroup, body)}`;
  const assembly = callType === 'messages' ? () => new MessageStreamAssembly() : () => new ChatStreamAssembly();
  const hit = controls?.noCache ? undefined : await cache.get(key, controls?.maxAgeSeconds === undefined ? undefined : controls.maxAgeSeconds * 1000);
  const ttlMs = controls?.ttlSeconds === undefined ? settings.ttlMs : controls.ttlSeconds * 1000;
  const lookup: CacheLookup = {
    cacheType: cache.type,
    verdict: hit !== undefined ? 'hit' : controls?.noCache ? 'skip' : 'miss',
    key,
    hit,
    storeJson: (json) => {
      if (controls?.noStore || !fitToStore(json)) return;
      void cache.put(key, json, ttlMs).then((bytes) => {
        if (bytes > 0) deps.onStored?.(modelGroup, cache.type, bytes);
      });
    },
    store: (routed) => {
      const answer = routed.answer;
      if (controls?.noStore) return routed;
      if (!answer.stream) {
        lookup.storeJson(answer.body);
        return routed;
      }
      return { ...routed, answer: { stream: true, events: storingWhenWhole(answer.events, assembly(), lookup.storeJson) } };
    },
  };
  return lookup;
}

/** Passes a stream on untouched; when (and only when) it ends whole, stores the answer it amounts to. */
async function* storingWhenWhole(events: EventStream, assembly: { add(event: SseEvent): void; result(): unknown }, put: (json: unknown) => void): EventStream {
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
