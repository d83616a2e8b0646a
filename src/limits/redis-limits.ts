import { runScript, type RedisConnection } from '../redis/index.js';
import type { LimitScope } from './limit-scope.js';
import type { DenialReason } from './limit-types.js';
import { LIMIT_ADMIT_SCRIPT } from './scripts/limit-admit-script.js';
import { LIMIT_SETTLE_SCRIPT } from './scripts/limit-settle-script.js';
import { LIMIT_RENEW_SCRIPT } from './scripts/limit-renew-script.js';

/** How long a lease (a call in flight: max_parallel_requests, a budget reservation) counts if never settled. */
export const LEASE_TTL_MS = 600_000;
/** Spent of a window is kept this long past the window's end (late settlements, clocks a little apart). */
const WINDOW_MARGIN_MS = 3_600_000;
const REASONS: readonly DenialReason[] = ['rpm', 'rpm', 'tpm', 'parallel', 'budget', 'budget_held'];

export interface ScopeRequest {
  readonly scope: LimitScope;
  readonly lease: string;
  readonly costNano: number;
  readonly floorNano: number;
  readonly tokens: number;
  readonly windowEnd: number | undefined;
  /**
   * The reservation must fit whole in what the budget has left, even with nothing else reserved
   * (a worker's budget block, host-limits.ts). A call's own reservation need not: one call alone
   * is admitted while anything is left, hence the documented bound of one call's maximum.
   */
  readonly whole?: boolean;
}

/** `spentNano`: the window's spend as Redis counts it (the cluster's), when the budget was looked at. */
export type ScopeVerdict =
  | { readonly ok: true; readonly minute: number; readonly spentNano?: number }
  | { readonly ok: false; readonly reason: DenialReason; readonly retryAfterMs: number; readonly used: number; readonly spentNano?: number };

export interface ScopeSettlement {
  readonly scope: LimitScope;
  readonly lease: string;
  readonly costNano: number;
  /** The tpm minute counted in (-1: none). */
  readonly minute: number;
  readonly tokenDelta: number;
  readonly windowEnd: number | undefined;
  readonly undo: boolean;
}

/** One scope's counters in Redis: the two scripts, with keys of one hash tag per scope. */
export class RedisLimits {
  constructor(private readonly redis: RedisConnection, private readonly now: () => number = Date.now, private readonly leaseTtlMs = LEASE_TTL_MS) {}

  get available(): boolean {
    return this.redis.available;
  }

  /** The verdict, or undefined when Redis did not answer (the caller counts locally). */
  async admit(request: ScopeRequest): Promise<ScopeVerdict | undefined> {
    const { scope } = request;
    const answer = await this.redis.run('limit admit', (redis) => runScript(redis, LIMIT_ADMIT_SCRIPT, this.keys(scope, request.windowEnd), [
      request.lease, limit(scope.rpm), limit(scope.tpm), limit(scope.maxParallel),
      scope.maxBudget === null ? -1 : Math.round(scope.maxBudget * 1e9), request.costNano, request.floorNano,
      Math.max(0, Math.round(request.tokens)), this.windowTtl(request.windowEnd), this.leaseTtlMs, request.whole === true ? 1 : 0,
    ]));
    if (!Array.isArray(answer)) return undefined;
    const [code, second, spent, used] = answer.map(Number) as [number, number, number, number];
    const spentNano = scope.maxBudget === null ? undefined : spent;
    if (code === 0) return { ok: true, minute: second, spentNano };
    const reason = REASONS[code] ?? 'rpm';
    const budget = reason === 'budget' || reason === 'budget_held';
    return { ok: false, reason, retryAfterMs: second, used: budget ? spent / 1e9 : used, spentNano: budget ? spent : undefined };
  }

  /** True once Redis has it. */
  async settle(settlement: ScopeSettlement): Promise<boolean> {
    const answer = await this.redis.run('limit settle', (redis) => runScript(redis, LIMIT_SETTLE_SCRIPT, this.keys(settlement.scope, settlement.windowEnd), [
      settlement.lease, settlement.costNano, settlement.minute, Math.round(settlement.tokenDelta), this.windowTtl(settlement.windowEnd), settlement.undo ? 1 : 0,
    ]));
    return answer !== undefined;
  }

  /** Pushes the expiry of leases still in flight a lease time to live ahead; false when Redis did not answer. */
  async renew(scope: LimitScope, leases: readonly string[]): Promise<boolean> {
    const [, , leaseKey, heldKey] = this.keys(scope, undefined);
    const answer = await this.redis.run('limit renew', (redis) => runScript(redis, LIMIT_RENEW_SCRIPT, [leaseKey!, heldKey!], [this.leaseTtlMs, ...leases]));
    return answer !== undefined;
  }

  /** The scope's five keys, one hash tag: `<ns>:{<ns>:limits:<kind>:<id>}:<part>`. */
  keys(scope: LimitScope, windowEnd: number | undefined): string[] {
    const group = `limits:${scope.kind}:${scope.id}`;
    return [
      this.redis.groupKey(group, 'rpm'),
      this.redis.groupKey(group, 'tpm'),
      this.redis.groupKey(group, 'leases'),
      this.redis.groupKey(group, 'held'),
      this.redis.groupKey(group, 'spent', windowEnd === undefined ? 'all' : String(windowEnd)),
    ];
  }

  private windowTtl(windowEnd: number | undefined): number {
    return windowEnd === undefined ? 0 : Math.max(1_000, windowEnd - this.now() + WINDOW_MARGIN_MS);
  }
}

function limit(value: number | null): number {
  return value === null ? -1 : Math.max(0, Math.floor(value));
}
