import type { RedisSettings } from '../config/index.js';
import type { Logger } from '../core/index.js';
import { createRedisClient, keepConnecting, quitClient, type RedisClient } from './redis-connection.js';

export interface RedisSubscriptionOptions {
  logger: Logger;
  /** What the subscription is for: named in logs and in CLIENT LIST. */
  purpose: string;
  /** The full channel name (namespace included). */
  channel: string;
  onMessage(message: string): void;
  /** Called each time the channel is subscribed (the first connection and every reconnection). */
  onSubscribed?(): void;
}

/**
 * One pub/sub channel on its own connection (a subscribed Redis connection can run nothing else),
 * tuned like every other connection: fails fast, reconnects in the background, subscribes again
 * after each reconnect. Messages are an accelerator only: whoever relies on them also polls, so a
 * message lost during an outage costs a poll period, never correctness. The command connection
 * logs outages; this one stays quiet about them (debug) to keep one line per outage.
 */
export class RedisSubscription {
  private readonly client: RedisClient;
  private closed = false;

  constructor(settings: RedisSettings, private readonly options: RedisSubscriptionOptions) {
    // On a cluster, classic pub/sub reaches every node's subscribers (the cluster bus relays each
    // PUBLISH), so the subscriber may sit on any node and survives a failover by reconnecting.
    this.client = createRedisClient(settings, { purpose: options.purpose, subscriber: true });
    this.client.on('ready', () => this.subscribe());
    this.client.on('error', (error: Error) => options.logger.debug({ during: `${options.purpose} subscription`, error: error.message }, 'redis subscription error'));
    this.client.on('message', (channel: string, message: string) => {
      if (channel === options.channel) options.onMessage(message);
    });
    keepConnecting(this.client, () => this.closed, options.logger, options.purpose);
  }

  /** Starts connecting in the background; never throws, never waits. */
  start(): void {
    this.client.connect().catch(() => {
      // Reported through the 'error' event; ioredis keeps reconnecting.
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await quitClient(this.client);
  }

  private subscribe(): void {
    this.client.subscribe(this.options.channel).then(() => this.options.onSubscribed?.(), (error: unknown) => {
      if (this.closed) return;
      // Not subscribed on a live connection: drop it so that the reconnect subscribes again.
      this.options.logger.debug({ channel: this.options.channel, error: String(error) }, 'redis subscribe failed; reconnecting');
      this.client.disconnect(true);
    });
  }
}
