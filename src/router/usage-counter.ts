import type { Clock } from '../core/index.js';

/**
 * Requests and tokens each deployment has served in the current minute (wall-clock minutes, so
 * that every host counts into the same window), for `usage-based-routing-v2`. This process's own
 * traffic is counted here as it happens; other hosts' traffic arrives through `applyShared` when
 * Redis is configured. A deployment's usage is both added up. Without Redis, or while it is
 * away, the last known share of the others for this minute still counts: usage in a minute only
 * grows, so a stale figure is a floor, never an overestimate.
 */

export const USAGE_WINDOW_MS = 60_000;

export interface Usage {
  readonly requests: number;
  readonly tokens: number;
}

interface Counts {
  requests: number;
  tokens: number;
}

const NONE: Usage = Object.freeze({ requests: 0, tokens: 0 });

interface Window {
  minute: number;
  /** This process's traffic in the minute. */
  mine: Counts;
  /** The part of `mine` already added to the shared counter. */
  pushed: Counts;
  /** Everyone else's traffic in the minute, as last read from the shared counter. */
  others: Counts;
  /** mine + others, kept up to date so that reading it (on every pick) allocates nothing. */
  total: Counts;
}

/** What a sync round sends for one deployment: the traffic it has not yet shared. */
export interface UsageDelta {
  id: string;
  minute: number;
  requests: number;
  tokens: number;
}

export class UsageCounter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly clock: Clock) {}

  currentMinute(): number {
    return Math.floor(this.clock.now() / USAGE_WINDOW_MS);
  }

  /** Milliseconds until the current window ends (when a deployment out of quota has room again). */
  msUntilNextWindow(): number {
    return USAGE_WINDOW_MS - (this.clock.now() % USAGE_WINDOW_MS);
  }

  record(id: string, requests: number, tokens: number): void {
    const window = this.window(id);
    window.mine.requests += requests;
    window.mine.tokens += tokens;
    sum(window);
  }

  /** Usage in `minute` (default: the current one); read-only, valid until the next change. */
  usage(id: string, minute = this.currentMinute()): Usage {
    const window = this.windows.get(id);
    if (window === undefined || window.minute !== minute) return NONE;
    return window.total;
  }

  /** This process's unshared traffic for the current minute, per deployment (for a sync round). */
  pending(ids: readonly string[]): UsageDelta[] {
    const minute = this.currentMinute();
    return ids.map((id) => {
      const window = this.windows.get(id);
      if (window === undefined || window.minute !== minute) return { id, minute, requests: 0, tokens: 0 };
      return { id, minute, requests: window.mine.requests - window.pushed.requests, tokens: window.mine.tokens - window.pushed.tokens };
    });
  }

  /** A sync round's outcome: `delta` was added to the shared counter, which now holds `total`. */
  applyShared(delta: UsageDelta, total: Usage): void {
    const window = this.window(delta.id);
    if (window.minute !== delta.minute) return; // the minute ended while the round was in flight
    window.pushed.requests += delta.requests;
    window.pushed.tokens += delta.tokens;
    window.others = {
      requests: Math.max(0, total.requests - window.pushed.requests),
      tokens: Math.max(0, total.tokens - window.pushed.tokens),
    };
    sum(window);
  }

  private window(id: string): Window {
    const minute = this.currentMinute();
    let window = this.windows.get(id);
    if (window === undefined || window.minute !== minute) {
      window = { minute, mine: zero(), pushed: zero(), others: zero(), total: zero() };
      this.windows.set(id, window);
    }
    return window;
  }
}

function zero(): Counts {
  return { requests: 0, tokens: 0 };
}

function sum(window: Window): void {
  window.total.requests = window.mine.requests + window.others.requests;
  window.total.tokens = window.mine.tokens + window.others.tokens;
}
