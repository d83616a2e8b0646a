import type { ResponsesItem } from '../protocol/index.js';
import { turnItems, type ResponseStore, type StoredResponse, type StoredTranslated } from './response-store.js';

interface Entry {
  readonly text: string;
  readonly bytes: number;
  expiresAt: number;
}

/**
 * Records in this worker's memory: JSON text (so that what comes back is a copy, as from Redis),
 * least recently used first out once the total passes `maxBytes`, each dropped at its expiry. A
 * Map keeps insertion order, and a record that is read is moved to its end, so the first entry is
 * always the one to evict.
 */
export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  readonly where = () => 'memory' as const;

  get size(): { records: number; bytes: number } {
    return { records: this.entries.size, bytes: this.bytes };
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    return this.read(id);
  }

  async conversation(record: StoredTranslated): Promise<ResponsesItem[] | undefined> {
    const items: ResponsesItem[] = [];
    for (const id of record.chain) {
      const turn = this.read(id);
      if (turn?.kind !== 'translated') return undefined;
      items.push(...turnItems(turn));
    }
    items.push(...turnItems(record));
    return items;
  }

  async put(record: StoredResponse): Promise<void> {
    const text = JSON.stringify(record);
    const now = this.now();
    const expiresAt = now + this.ttlMs;
    this.remove(record.id);
    // The least recently used records come first, and are the likeliest to have expired.
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.remove(id);
    }
    const bytes = text.length * 2; // V8 keeps non-Latin-1 text at two bytes a character; an upper bound
    if (bytes > this.maxBytes) return; // larger than everything allowed: not kept at all
    this.entries.set(record.id, { text, bytes, expiresAt });
    this.bytes += bytes;
    // A new turn keeps its whole conversation alive as long as itself.
    if (record.kind === 'translated') for (const id of record.chain) this.renew(id, expiresAt);
    for (const [id] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(id);
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.remove(id);
  }

  private read(id: string): StoredResponse | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(id);
      return undefined;
    }
    this.entries.delete(id); // to the end: most recently used
    this.entries.set(id, entry);
    return JSON.parse(entry.text) as StoredResponse;
  }

  private renew(id: string, expiresAt: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.expiresAt > this.now()) entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
  }

  private remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    return true;
  }
}
