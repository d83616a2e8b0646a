import { randomId } from '../core/index.js';
import { runScript, type RedisConnection } from '../redis/index.js';
import type { Cooldowns } from './cooldowns.js';
import { COOLDOWN_EXTEND_SCRIPT } from './scripts/cooldown-extend-script.js';
import { COOLDOWN_READ_SCRIPT } from './scripts/cooldown-read-script.js';
import { USAGE_SYNC_SCRIPT } from './scripts/usage-sync-script.js';
import { USAGE_WINDOW_MS, type UsageCounter } from './usage-counter.js';

/**
 * Router state shared across hosts through Redis: cooldowns, and per-minute usage for
 * usage-based routing. Nothing here is on the request path: a cooldown is announced without
 * waiting, and a background round every `intervalMs` pushes this process's usage and reads what
 * every host has done. A round costs Redis little: cooldown keys are read only when some host
 * announced one since the last round, and a minute's usage is one hash. With Redis away, rounds are skipped at once and routing goes on with what
 * this process knows; when it returns, the next round catches up.
 */

export const SHARED_SYNC_INTERVAL_MS = 200;

export interface SharedRouterStateOptions {
  redis: RedisConnection;
  /** Deployments that can be cooled down (those in groups of two or more). */
  coolable: readonly string[];
  cooldowns: Cooldowns;
  /** Present with usage-based routing: every deployment's usage is shared. */
  usage?: { counter: UsageCounter; ids: readonly string[] };
  intervalMs?: number;
  /** A cooldown another host took, as remaining milliseconds. */
  onSharedCooldown(id: string, remainingMs: number): void;
}

export class SharedRouterState {
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  /** The cooldown epoch last read: cooldown keys are read only when it moves. */
  private cooldownEpoch = '';
  /** Cooldowns this process took and that still run, by deployment: what it may have to announce again. */
  private readonly taken = new Map<string, { endsAt: number; reason: string }>();
  /** Deployments whose cooldown Redis may not hold: the announcement failed, or Redis came back since. */
  private readonly unsent = new Set<string>();
  /** The connection's session (RedisConnection.sessions) in which `taken` was last announced. */
  private session = 0;

  constructor(private readonly options: SharedRouterStateOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sync(), this.options.intervalMs ?? SHARED_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Tells the other hosts; fire and forget. A cooldown that may not have reached them (Redis away,
   * or back since: a promoted replica can lack the last writes) is announced again, with the time
   * it has left, by the first round after Redis returns.
   */
  announceCooldown(id: string, durationMs: number, reason: string): void {
    this.taken.set(id, { endsAt: Date.now() + durationMs, reason });
    void this.announce(id);
  }

  /** One round: cooldowns out (those Redis may lack) and in, usage out and in. Rounds never overlap. */
  async sync(): Promise<void> {
    if (this.syncing || !this.options.redis.available) return;
    this.syncing = true;
    try {
      await Promise.all([this.announceUnsent(), this.readCooldowns(), this.syncUsage()]);
    } finally {
      this.syncing = false;
    }
  }

  private async announce(id: string): Promise<void> {
    const taken = this.taken.get(id);
    const remainingMs = taken === undefined ? 0 : Math.ceil(taken.endsAt - Date.now());
    if (taken === undefined || remainingMs <= 0) {
      this.taken.delete(id);
      this.unsent.delete(id);
      return;
    }
    const keys = [this.cooldownKey(id), this.epochKey()];
    const reply = await this.options.redis.run('announce cooldown', (r) => runScript(r, COOLDOWN_EXTEND_SCRIPT, keys, [remainingMs, taken.reason, randomId(9)]));
    if (reply === undefined) this.unsent.add(id);
    else this.unsent.delete(id);
  }

  private async announceUnsent(): Promise<void> {
    const session = this.options.redis.sessions;
    if (session !== this.session) {
      this.session = session;
      for (const id of this.taken.keys()) this.unsent.add(id);
    }
    if (this.unsent.size > 0) await Promise.all([...this.unsent].map((id) => this.announce(id)));
  }

  private async readCooldowns(): Promise<void> {
    const { coolable, redis } = this.options;
    if (coolable.length === 0) return;
    const keys = [this.epochKey(), ...coolable.map((id) => this.cooldownKey(id))];
    const reply = await redis.run('read cooldowns', (r) => runScript(r, COOLDOWN_READ_SCRIPT, keys, [this.cooldownEpoch]));
    if (!Array.isArray(reply) || reply.length === 0) return;
    this.cooldownEpoch = String(reply[0]);
    for (let i = 1; i < reply.length; i++) {
      const ms = Number(reply[i]);
      if (ms > 0) this.options.onSharedCooldown(coolable[i - 1] as string, ms);
    }
  }

  private async syncUsage(): Promise<void> {
    const { usage, redis } = this.options;
    if (usage === undefined || usage.ids.length === 0) return;
    const deltas = usage.counter.pending(usage.ids);
    const minute = deltas[0]?.minute ?? usage.counter.currentMinute();
    const args: Array<string | number> = [2 * USAGE_WINDOW_MS];
    for (const delta of deltas) {
      if (delta.requests > 0) args.push(`r:${delta.id}`, Math.round(delta.requests));
      if (delta.tokens > 0) args.push(`t:${delta.id}`, Math.round(delta.tokens));
    }
    const key = redis.key('router', 'usage', String(minute));
    const reply = await redis.run('sync usage', (r) => runScript(r, USAGE_SYNC_SCRIPT, [key], args));
    if (!Array.isArray(reply)) return;
    const totals = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length; i += 2) totals.set(String(reply[i]), Number(reply[i + 1]) || 0);
    for (const delta of deltas) {
      usage.counter.applyShared(delta, { requests: totals.get(`r:${delta.id}`) ?? 0, tokens: totals.get(`t:${delta.id}`) ?? 0 });
    }
  }

  // The epoch and every cooldown are read together by one script, so they share one hash tag;
  // the set is small (one key per coolable deployment) and read once per round at most.
  private cooldownKey(id: string): string {
    return this.options.redis.groupKey('router:cooldowns', 'cooldown', id);
  }

  private epochKey(): string {
    return this.options.redis.groupKey('router:cooldowns', 'epoch');
  }
}
