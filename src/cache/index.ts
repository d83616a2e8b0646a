import type { Config } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { RedisConnection } from '../redis/index.js';
import type { CacheDeps } from './cached-call.js';
import { MemoryCache } from './memory-cache.js';
import { RedisCache } from './redis-cache.js';

export { isCacheable, lookUp, NOT_CACHED, type CacheDeps, type CacheLookup, type CacheVerdict, type CostOf } from './cached-call.js';
export { cacheKey } from './cache-key.js';
export { chatCompletionChunks } from './chat-stream-replay.js';
export { ChatStreamAssembly } from './chat-stream-assembly.js';
export { MessageStreamAssembly, messageEvents } from './message-stream.js';
export { TextCompletionAssembly, textCompletionChunks } from './text-completion-stream.js';
export { MemoryCache } from './memory-cache.js';
export { RedisCache } from './redis-cache.js';
export type { CachedAnswer, ResponseCache } from './response-cache.js';

/**
 * The worker's response cache (`litellm_settings.cache: true`), or undefined when caching is off.
 * Type `redis` without any Redis configured falls back to this worker's memory, with a warning.
 */
export function createResponseCache(config: Config, logger: Logger, onStored?: CacheDeps['onStored']): CacheDeps | undefined {
  const settings = config.cache;
  if (settings === undefined) return undefined;
  if (settings.type === 'redis') {
    if (config.redis !== undefined) {
      const connection = new RedisConnection(config.redis, { logger, purpose: 'cache' });
      connection.start();
      return { cache: new RedisCache(connection, settings.maxEntryBytes), settings, onStored };
    }
    logger.warn('cache_params.type is redis but no Redis is configured: the response cache is in each worker\'s memory');
  }
  return { cache: new MemoryCache(settings.maxMemoryBytes, settings.maxEntryBytes), settings, onStored };
}
