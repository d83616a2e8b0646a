import { conversationOf, type ResponsesItem } from '../protocol/index.js';
import { runScript, type RedisConnection } from '../redis/index.js';
import type { MemoryResponseStore } from './memory-response-store.js';
import { turnItems, type ResponseStore, type StoredResponse, type StoredTranslated } from './response-store.js';
import { RESPONSE_SAVE_SCRIPT } from './scripts/response-save-script.js';

/**
 * Records in Redis, shared by every worker and host, with this worker's memory as the fallback:
 * a record that cannot be written to Redis (down, or slower than the command timeout) is kept in
 * memory, and reads look there when Redis cannot answer or does not have the record. A turn kept
 * locally during an outage can so still be continued on this worker; on another one it is not
 * found (a 400 naming previous_response_id), as without Redis.
 *
 * Keys: `<namespace>:responses:{<conversation>}:<id>`. The hash tag is the conversation part of
 * the id (see protocol/responses-items.ts), so a conversation's turns share one slot: one MGET
 * reads them all and one script renews them, on Redis Cluster too.
 */
export class RedisResponseStore implements ResponseStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlMs: number,
    private readonly local: MemoryResponseStore,
  ) {}

  readonly where = () => (this.redis.available ? 'redis' as const : 'memory' as const);

  async get(id: string): Promise<StoredResponse | undefined> {
    const text = await this.redis.run('response read', (r) => r.get(this.key(id)));
    if (typeof text === 'string') return parse(text);
    return this.local.get(id);
  }

  async conversation(record: StoredTranslated): Promise<ResponsesItem[] | undefined> {
    if (record.chain.length === 0) return turnItems(record);
    const texts = await this.redis.run('conversation read', (r) => r.mget(...record.chain.map((id) => this.key(id))));
    if (texts === undefined) return this.local.conversation(record);
    const items: ResponsesItem[] = [];
    for (const [i, text] of texts.entries()) {
      const turn = typeof text === 'string' ? parse(text) : await this.local.get(record.chain[i] as string);
      if (turn?.kind !== 'translated') return undefined;
      items.push(...turnItems(turn));
    }
    items.push(...turnItems(record));
    return items;
  }

  async put(record: StoredResponse): Promise<void> {
    const keys = [this.key(record.id), ...(record.kind === 'translated' ? record.chain.map((id) => this.key(id)) : [])];
    const saved = await this.redis.run('response save', (r) => runScript(r, RESPONSE_SAVE_SCRIPT, keys, [JSON.stringify(record), Math.round(this.ttlMs)]));
    if (saved === undefined) await this.local.put(record);
  }

  async delete(id: string): Promise<boolean> {
    const removed = await this.redis.run('response delete', (r) => r.del(this.key(id)));
    const local = await this.local.delete(id);
    return (removed ?? 0) > 0 || local;
  }

  private key(id: string): string {
    return this.redis.key('responses', `{${conversationOf(id)}}`, id);
  }
}

function parse(text: string): StoredResponse | undefined {
  try {
    return JSON.parse(text) as StoredResponse;
  } catch {
    return undefined; // not ours (someone else's key in the namespace): as if absent
  }
}
