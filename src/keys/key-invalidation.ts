import type { RedisSettings } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { RedisConnection, RedisSubscription } from '../redis/index.js';

/** What changed: one key (by hash), every key of a team or a user, or everything (a budget reset). */
export type KeyChange =
  | { readonly kind: 'key'; readonly id: string }
  | { readonly kind: 'team'; readonly id: string }
  | { readonly kind: 'user'; readonly id: string }
  | { readonly kind: 'all' };

/**
 * Tells every worker of every host that key records changed: one PUBLISH on
 * `<namespace>:keys:changed` per change made through the API, and a subscription in every worker
 * that drops what its cache holds of it. Messages carry token hashes and ids, never a key. Without
 * Redis (or while it is down) nothing is sent and the cache's TTL bounds how long a change takes;
 * a worker whose subscription comes back after an outage drops everything it holds, since it may
 * have missed messages.
 */
export class KeyInvalidation {
  private readonly redis: RedisConnection;
  private readonly subscription: RedisSubscription;
  private readonly channel: string;
  private subscriptions = 0;

  constructor(settings: RedisSettings, logger: Logger, onChange: (change: KeyChange) => void) {
    this.redis = new RedisConnection(settings, { logger, purpose: 'keys' });
    this.channel = this.redis.key('keys', 'changed');
    this.subscription = new RedisSubscription(settings, {
      logger, purpose: 'keys-changed', channel: this.channel,
      onMessage: (text) => {
        const change = parseChange(text);
        if (change !== undefined) onChange(change);
      },
      // Subscribed again after an outage: messages sent meanwhile were lost, so nothing held is
      // trusted (each key is read again on its next use) rather than waiting out the TTL.
      onSubscribed: () => {
        if (this.subscriptions++ > 0) onChange({ kind: 'all' });
      },
    });
  }

  start(): void {
    this.redis.start();
    this.subscription.start();
  }

  async publish(changes: readonly KeyChange[]): Promise<void> {
    for (const change of changes) await this.redis.run('keys changed', (r) => r.publish(this.channel, JSON.stringify(change)));
  }

  async close(): Promise<void> {
    await Promise.all([this.subscription.close(), this.redis.close()]);
  }
}

function parseChange(text: string): KeyChange | undefined {
  try {
    const value = JSON.parse(text) as { kind?: unknown; id?: unknown };
    if (value.kind === 'all') return { kind: 'all' };
    if ((value.kind === 'key' || value.kind === 'team' || value.kind === 'user') && typeof value.id === 'string') return { kind: value.kind, id: value.id };
  } catch {
    // not ours
  }
  return undefined;
}
