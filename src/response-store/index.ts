import type { Config } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { RedisConnection } from '../redis/index.js';
import { MemoryResponseStore } from './memory-response-store.js';
import { RedisResponseStore } from './redis-response-store.js';
import type { ResponseStore } from './response-store.js';

export type { ResponseStore, StoredNative, StoredResponse, StoredTranslated } from './response-store.js';
export { turnItems } from './response-store.js';
export { MemoryResponseStore } from './memory-response-store.js';
export { RedisResponseStore } from './redis-response-store.js';

const FIRST_CONNECTION_WAIT_MS = 1_000;

/**
 * The worker's store of Responses API answers: in Redis when the config names one (its own
 * connection, opened on first use: most deployments never store a translated answer), else in
 * this worker's memory. Without Redis a conversation can only be continued on the worker that
 * holds it; with `--num_workers` above 1 or several hosts, configure Redis.
 */
export function createResponseStore(config: Config, logger: Logger): ResponseStore {
  const settings = config.responseStore;
  const local = new MemoryResponseStore(settings.ttlMs, settings.maxMemoryBytes);
  if (config.redis === undefined) return local;
  const redis = config.redis;
  let remote: RedisResponseStore | undefined;
  let connecting: Promise<unknown> | undefined;
  // The first use waits (a bounded second at most) for the connection to come up; without the
  // wait, the first answers would all be kept locally, out of the other workers' reach.
  const open = async (): Promise<RedisResponseStore> => {
    if (remote === undefined) {
      const connection = new RedisConnection(redis, { logger, purpose: 'responses' });
      connection.start();
      remote = new RedisResponseStore(connection, settings.ttlMs, local);
      connecting = connection.firstConnection(FIRST_CONNECTION_WAIT_MS);
    }
    await connecting;
    return remote;
  };
  return {
    where: () => remote?.where() ?? 'redis',
    get: async (id) => (await open()).get(id),
    conversation: async (record) => (await open()).conversation(record),
    put: async (record) => (await open()).put(record),
    delete: async (id) => (await open()).delete(id),
  };
}
