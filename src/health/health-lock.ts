import { runScript, type RedisConnection } from '../redis/index.js';
import { LOCK_RELEASE_SCRIPT } from './scripts/lock-release-script.js';
import { LOCK_RENEW_SCRIPT } from './scripts/lock-renew-script.js';

/**
 * The cluster's health check lock: one holder at a time, identified by a unique holder id. Every
 * call is one bounded Redis command and answers `undefined` when Redis could not be asked.
 */
export class HealthLock {
  constructor(
    private readonly redis: RedisConnection,
    readonly key: string,
    readonly holder: string,
  ) {}

  /** `SET key holder NX PX ttl`: true when this holder now has the lock. */
  async acquire(ttlMs: number): Promise<boolean | undefined> {
    const reply = await this.redis.run('health lock acquire', (r) => r.set(this.key, this.holder, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'));
    return reply === undefined ? undefined : reply === 'OK';
  }

  /** Extends the lock if this holder still has it (compare-and-extend). */
  async renew(ttlMs: number): Promise<boolean | undefined> {
    const reply = await this.redis.run('health lock renew', (r) => runScript(r, LOCK_RENEW_SCRIPT, [this.key], [this.holder, Math.max(1, Math.round(ttlMs))]));
    return reply === undefined ? undefined : Number(reply) === 1;
  }

  /** Deletes the lock if this holder has it (compare-and-delete); false when it had passed on. */
  async release(): Promise<boolean | undefined> {
    const reply = await this.redis.run('health lock release', (r) => runScript(r, LOCK_RELEASE_SCRIPT, [this.key], [this.holder]));
    return reply === undefined ? undefined : Number(reply) === 1;
  }

  /** Who holds the lock now (null: nobody). */
  async owner(): Promise<string | null | undefined> {
    const reply = await this.redis.run('health lock owner', (r) => r.mget(this.key));
    return reply === undefined ? undefined : (reply[0] ?? null);
  }
}
