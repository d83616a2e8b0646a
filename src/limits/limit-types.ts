import type { LimitScope } from './limit-scope.js';

/** Whole nano-USD: money in Redis is an integer, so sums are exact. */
export const NANO_PER_USD = 1e9;

export function toNano(usd: number): number {
  return Math.max(0, Math.round(usd * NANO_PER_USD));
}

/** Where a call was counted: Redis (the cluster), or locally while Redis is down or not configured (the host's count in its primary; this worker's own if the primary does not answer). */
export type Counting = 'redis' | 'local';

/** Why a call was refused: `budget_held` when only other calls' reservations stand in the way. */
export type DenialReason = 'rpm' | 'tpm' | 'parallel' | 'budget' | 'budget_held';

/** What a call may cost and use at most, known before it is sent. */
export interface CallEstimate {
  /** USD at most (input counted, output at its maximum, the dearest deployment reachable); 0 when unpriced. */
  readonly maxCostUsd: number;
  /** Tokens counted against tpm until the real count is known. */
  readonly tokens: number;
}

/** One scope's part of an admitted call. */
export interface ScopeAdmission {
  readonly scope: LimitScope;
  readonly counting: Counting;
  readonly minute: number;
  readonly windowEnd: number | undefined;
  readonly reservedNano: number;
}

export interface Admission {
  readonly lease: string;
  readonly tokens: number;
  readonly parts: readonly ScopeAdmission[];
  settled: boolean;
}

export interface Denial {
  readonly scope: LimitScope;
  readonly reason: DenialReason;
  readonly counting: Counting;
  /** Seconds until trying again can help (rate limits, a held budget). */
  readonly retryAfterS: number;
  /** The limit that refused it (requests, tokens, calls, USD). */
  readonly limit: number;
  /** What is used of it now (the same units; USD spent for budgets). */
  readonly used: number;
}

/** What happens at the gate, for the metrics (bounded labels: 2 countings, 4 scope kinds, 5 reasons). */
export interface LimitObserver {
  admitted(counting: Counting): void;
  denied(scopeKind: LimitScope['kind'], reason: DenialReason, counting: Counting): void;
}
