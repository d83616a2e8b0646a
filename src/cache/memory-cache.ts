import { decodeEntry, encodeEntry, youngEnough, type CachedAnswer, type ResponseCache } from './response-cache.js';

interface Entry {
  readonly text: string;
  readonly bytes: number;
  readonly expiresAt: number;
}

/**
 * Answers in this worker's memory, as JSON text (a hit is a copy): least recently used out first
 * once the total passes `maxBytes`, entries over `maxEntryBytes` never kept. A Map keeps insertion
 * order and a read moves its entry to the end, so the first entry is always the one to evict.
 */
export class MemoryCache implements ResponseCache {
  readonly type = 'local' as const;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntryBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async get(key: string, maxAgeMs?: number): Promise<CachedAnswer | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.expiresAt <= now) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    const answer = decodeEntry(entry.text);
    return answer !== undefined && youngEnough(answer, maxAgeMs, now) ? answer : undefined;
  }

  async put(key: string, body: unknown, ttlMs: number, costUsd?: number | null): Promise<number> {
    const now = this.now();
    const text = encodeEntry(body, now, costUsd);
    const bytes = text.length * 2; // V8 keeps non-Latin-1 text at two bytes a character; an upper bound
    this.remove(key);
    if (bytes > this.maxEntryBytes || bytes > this.maxBytes) return 0;
    this.entries.set(key, { text, bytes, expiresAt: now + ttlMs });
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
    return bytes;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
