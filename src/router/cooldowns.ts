import type { RouterSettings } from '../config/index.js';
import type { Clock } from '../core/index.js';

/**
 * Which deployments sit out, and until when. A deployment is cooled down when it
 * - answers 429 while its group has other deployments (at once: they can take the traffic), for
 *   `cooldown_time` or the upstream's Retry-After if longer (up to the Retry-After cap);
 * - fails more than `allowed_fails` times within a sliding minute (5xx, timeouts, broken
 *   connections, a deployment that cannot serve), for `cooldown_time`.
 * A group's only deployment is never cooled down: refusing the group's every request would help
 * no one. `cooldown_time: 0` turns cooldowns off. Time is the injected monotonic clock.
 */

export const FAILURE_WINDOW_MS = 60_000;

export type CooldownReason = 'rate_limited' | 'failures' | 'shared';

export interface Cooldown {
  durationMs: number;
  reason: CooldownReason;
}

export type CountedFailure = 'rate_limited' | 'transient' | 'deployment_broken';

type CooldownSettings = Pick<RouterSettings, 'allowedFails' | 'cooldownMs' | 'maxRetryAfterMs'>;

export class Cooldowns {
  private readonly failures = new Map<string, number[]>();
  private readonly until = new Map<string, number>();

  constructor(private readonly settings: CooldownSettings, private readonly clock: Clock) {}

  /** Notes a failure that is the deployment's fault; answers the cooldown it starts, if any. */
  recordFailure(id: string, kind: CountedFailure, groupSize: number, retryAfterMs?: number): Cooldown | undefined {
    if (groupSize <= 1 || this.settings.cooldownMs <= 0) return undefined;
    if (kind === 'rate_limited') {
      const honoured = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, this.settings.maxRetryAfterMs);
      return this.start(id, Math.max(this.settings.cooldownMs, honoured), 'rate_limited');
    }
    const now = this.clock.monotonic();
    const recent = (this.failures.get(id) ?? []).filter((at) => now - at < FAILURE_WINDOW_MS);
    recent.push(now);
    if (recent.length <= this.settings.allowedFails) {
      this.failures.set(id, recent);
      return undefined;
    }
    this.failures.delete(id);
    return this.start(id, this.settings.cooldownMs, 'failures');
  }

  /** A cooldown learnt from another host; answers whether it starts or lengthens one here. */
  apply(id: string, remainingMs: number): boolean {
    if (remainingMs <= 0) return false;
    const end = this.clock.monotonic() + remainingMs;
    // Shared state lags a little; lengthening by less than a tick's worth is noise, not news.
    if (end <= (this.until.get(id) ?? 0) + 50) return false;
    this.until.set(id, end);
    return true;
  }

  isCoolingDown(id: string): boolean {
    const end = this.until.get(id);
    if (end === undefined) return false;
    if (this.clock.monotonic() < end) return true;
    this.until.delete(id);
    return false;
  }

  /** Milliseconds until the deployment may serve again (0 when it may now). */
  remainingMs(id: string): number {
    const end = this.until.get(id);
    return end === undefined ? 0 : Math.max(0, end - this.clock.monotonic());
  }

  private start(id: string, durationMs: number, reason: CooldownReason): Cooldown {
    const end = this.clock.monotonic() + durationMs;
    this.until.set(id, Math.max(end, this.until.get(id) ?? 0));
    return { durationMs, reason };
  }
}
