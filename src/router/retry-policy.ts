import type { Random } from '../core/index.js';

/**
 * How long to wait before another attempt. A retry that goes to a different deployment goes at
 * once: back-off protects an upstream that is struggling, and this one has not been asked yet.
 * A retry of the same deployment waits: the upstream's `Retry-After` when it sent one (up to the
 * cap), else exponential back-off with jitter (half fixed, half random, so that many clients that
 * failed together do not come back together).
 */

export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 8_000;

export interface RetryDelayInput {
  /** 1 for the first retry, 2 for the second, … */
  retry: number;
  /** The next attempt goes to a deployment this request has already tried. */
  sameDeployment: boolean;
  /** What the failed attempt's upstream asked for, in milliseconds, if anything. */
  retryAfterMs: number | undefined;
  /** `router_settings.retry_after`: the longest Retry-After the router will wait out. */
  maxRetryAfterMs: number;
  random: Random;
}

/** Milliseconds to wait, or `undefined` when waiting is pointless (Retry-After beyond the cap). */
export function retryDelayMs(input: RetryDelayInput): number | undefined {
  if (input.retryAfterMs !== undefined) {
    if (!input.sameDeployment) return 0;
    return input.retryAfterMs <= input.maxRetryAfterMs ? input.retryAfterMs : undefined;
  }
  if (!input.sameDeployment) return 0;
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, input.retry - 1));
  return Math.round(ceiling / 2 + input.random() * (ceiling / 2));
}

/**
 * A `Retry-After` header as milliseconds: delay-seconds (`"7"`, `"1.5"`) or an HTTP date. Also
 * reads OpenAI's `retry-after-ms`. Nonsense and the past give `undefined`.
 */
export function parseRetryAfter(headers: Readonly<Record<string, string>>, nowMs: number): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers['retry-after']?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  const delta = date - nowMs;
  return delta > 0 ? delta : undefined;
}
