import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/index.js';
import type { RedisConnection } from '../redis/index.js';
import { budgetWindow } from './budget-window.js';
import type { LimitScope } from './limit-scope.js';
import { toNano, type Admission, type CallEstimate, type Counting, type Denial, type LimitObserver, type ScopeAdmission } from './limit-types.js';
import type { LocalCounter } from './host-limits.js';
import { BudgetBlocks, type ClosedBlock, type ScopeAnswer } from './budget-blocks.js';
import { LocalLimits } from './local-limits.js';
import { LEASE_TTL_MS, RedisLimits, type ScopeRequest, type ScopeSettlement, type ScopeVerdict } from './redis-limits.js';

export interface LimitGateOptions {
  /** The cluster's counters; undefined: every call is counted by the fallback below. */
  redis?: RedisConnection;
  /** The count while Redis is away: the host's (a `HostCounter` asking the primary); default this worker's own. */
  local?: LocalCounter;
  logger: Logger;
  observer?: LimitObserver;
  now?: () => number;
  /** How long a lease counts if never settled or renewed (default LEASE_TTL_MS, 10 minutes; tests shorten it). */
  leaseTtlMs?: number;
}

/** Settlements waiting for Redis to return, at most (oldest dropped past it, and logged). */
const MAX_PENDING = 100_000;
const REPLAY_EVERY_MS = 1_000;

/**
 * Admits a call across all its scopes (key, team, user) or refuses it, and settles it when it is
 * over. Each scope is one atomic script on its own slot; the scopes of one call are asked
 * together, and when one refuses, those that admitted are undone (their rpm entry, lease and
 * reservation go). A scope without any limit is not counted at all.
 *
 * Redis down (or not configured): the host counts (host-limits.ts: the primary's one count for all
 * its workers; a worker without a primary counts alone, local-limits.ts). Settlements that
 * could not reach Redis are kept and replayed, in order, once it answers again: spend made while
 * it was away is added to the cluster's count, not lost.
 */
export class LimitGate {
  private readonly redis: RedisLimits | undefined;
  private readonly local: LocalCounter;
  private readonly now: () => number;
  private readonly pending: ScopeSettlement[] = [];
  private readonly blocks: BudgetBlocks;
  /** `count`, bound once (a budget block asks it for a block; no closure per call). */
  private readonly counter: (request: ScopeRequest) => ScopeAnswer | Promise<ScopeAnswer>;
  /** Settlements sent to Redis and not yet answered (awaited by close). */
  private readonly sending = new Set<Promise<void>>();
  private replaying = false;
  private timer: NodeJS.Timeout | undefined;
  private droppedLogged = false;
  /** Admissions not yet settled that hold a lease somewhere: renewed while they last. */
  private readonly inFlight = new Set<Admission>();
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly leaseTtlMs: number;

  constructor(private readonly options: LimitGateOptions) {
    this.now = options.now ?? Date.now;
    this.leaseTtlMs = options.leaseTtlMs ?? LEASE_TTL_MS;
    this.redis = options.redis === undefined ? undefined : new RedisLimits(options.redis, this.now, this.leaseTtlMs);
    this.local = options.local ?? new LocalLimits(this.now, this.leaseTtlMs);
    this.blocks = new BudgetBlocks((block) => this.settleBlock(block), nextLease, this.now);
    this.counter = (request) => this.count(request);
  }

  /** Settlements still waiting for Redis. */
  get pendingSettlements(): number {
    return this.pending.length;
  }

  /**
   * The admission (settle it when the call is over), or the first refusal. Synchronous when every
   * scope was answered at once (a worker's budget block), so the common call waits for no promise.
   */
  admit(scopes: readonly LimitScope[], estimate: CallEstimate): Admission | Denial | Promise<Admission | Denial> {
    const lease = nextLease();
    const now = this.now();
    const costNano = toNano(estimate.maxCostUsd);
    const verdicts: Array<ScopeAnswer | Promise<ScopeAnswer>> = [];
    let waiting = false;
    for (const scope of scopes) {
      if (!hasLimits(scope)) continue;
      const verdict = this.admitScope(scope, lease, costNano, estimate.tokens, now);
      waiting ||= verdict instanceof Promise;
      verdicts.push(verdict);
    }
    if (verdicts.length === 0) return { lease, tokens: estimate.tokens, parts: [], settled: false };
    return waiting
      ? Promise.all(verdicts).then((all) => this.conclude(all, lease, estimate.tokens))
      : this.conclude(verdicts as ScopeAnswer[], lease, estimate.tokens);
  }

  private admitScope(scope: LimitScope, lease: string, costNano: number, tokens: number, now: number): ScopeAnswer | Promise<ScopeAnswer> {
    const window = budgetWindow(scope, now);
    const request: ScopeRequest = { scope, lease, costNano, floorNano: toNano(window.floorUsd), tokens, windowEnd: window.end };
    if (BudgetBlocks.applies(scope)) {
      const inBlock = this.blocks.admit(request, this.counter);
      if (inBlock !== undefined) return inBlock;
    }
    return this.count(request);
  }

  /** One scope's admission by the cluster (Redis), or the host's count while Redis is away. */
  private count(request: ScopeRequest): ScopeAnswer | Promise<ScopeAnswer> {
    const { scope } = request;
    if (this.redis?.available !== true) return this.admitLocally(request);
    return this.redis.admit(request).then((verdict) => {
      if (verdict === undefined) return this.admitLocally(request);
      if (verdict.spentNano !== undefined) this.local.noteSpent(scope, request.windowEnd, verdict.spentNano);
      return scopeAnswer(request, 'redis', verdict);
    });
  }

  private admitLocally(request: ScopeRequest): ScopeAnswer | Promise<ScopeAnswer> {
    const verdict = this.local.admit(request);
    return verdict instanceof Promise ? verdict.then((v) => scopeAnswer(request, 'local', v)) : scopeAnswer(request, 'local', verdict);
  }

  private conclude(verdicts: readonly ScopeAnswer[], lease: string, tokens: number): Admission | Denial {
    const parts: ScopeAdmission[] = [];
    let denial: Denial | undefined;
    for (const v of verdicts) {
      if (v.verdict.ok) parts.push({ scope: v.scope, counting: v.counting, minute: v.verdict.minute, windowEnd: v.windowEnd, reservedNano: v.reservedNano });
      else denial ??= denialOf(v.scope, v.counting, v.verdict);
    }
    const counting: Counting = verdicts.some((v) => v.counting === 'local') ? 'local' : 'redis';
    if (denial !== undefined) {
      for (const part of parts) this.settlePart(part, lease, 0, -tokens, true);
      this.options.observer?.denied(denial.scope.kind, denial.reason, denial.counting);
      return denial;
    }
    this.options.observer?.admitted(counting);
    const admission: Admission = { lease, tokens, parts, settled: false };
    if (parts.some(holdsLease)) this.track(admission);
    return admission;
  }

  /** The call is over: its real cost (0 when unknown) and tokens (undefined: keep the estimate). Once per admission. */
  settle(admission: Admission, costUsd: number, tokens: number | undefined): void {
    if (admission.settled) return;
    admission.settled = true;
    this.inFlight.delete(admission);
    const costNano = toNano(costUsd);
    const tokenDelta = tokens === undefined ? 0 : tokens - admission.tokens;
    for (const part of admission.parts) this.settlePart(part, admission.lease, costNano, tokenDelta, false);
  }

  /**
   * A worker about to exit: its open budget blocks are settled (those with calls in flight when
   * the last one ends), and what went to Redis is waited for, at most the connection's command
   * timeout. Settlements still waiting for an absent Redis are lost with the worker.
   */
  async close(): Promise<void> {
    this.blocks.closeAll();
    this.stopReplay();
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    await Promise.all([...this.sending]);
  }

  private track(admission: Admission): void {
    this.inFlight.add(admission);
    if (this.renewTimer !== undefined) return;
    // Every quarter of the lease time to live: a call, or a budget block with calls, in flight longer than that keeps its lease.
    this.renewTimer = setInterval(() => this.renew(), Math.max(50, Math.floor(this.leaseTtlMs / 4)));
    this.renewTimer.unref();
  }

  /** Renews the leases of everything still in flight, one message or script per scope. */
  private renew(): void {
    const byScope = new Map<string, { scope: LimitScope; counting: Counting; leases: string[] }>();
    const add = (scope: LimitScope, counting: Counting, lease: string) => {
      const name = `${counting} ${scope.kind}:${scope.id}`;
      let entry = byScope.get(name);
      if (entry === undefined) byScope.set(name, entry = { scope, counting, leases: [] });
      entry.leases.push(lease);
    };
    for (const admission of this.inFlight) {
      for (const part of admission.parts) {
        // A call inside a budget block holds no lease of its own: its block does.
        if (holdsLease(part) && !this.blocks.holds(part.scope, admission.lease)) add(part.scope, part.counting, admission.lease);
      }
    }
    for (const block of this.blocks.busy()) add(block.scope, block.counting, block.lease);
    for (const { scope, counting, leases } of byScope.values()) {
      if (counting === 'local') this.local.renew(scope, leases);
      else if (this.redis?.available === true) void this.redis.renew(scope, leases);
    }
    if (this.inFlight.size === 0 && byScope.size === 0 && this.renewTimer !== undefined) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
  }

  private stopReplay(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private settleBlock(block: ClosedBlock): void {
    const part: ScopeAdmission = { scope: block.scope, counting: block.counting, minute: block.minute, windowEnd: block.windowEnd, reservedNano: block.sizeNano };
    this.settlePart(part, block.lease, block.usedNano, 0, false);
  }

  private settlePart(part: ScopeAdmission, lease: string, costNano: number, tokenDelta: number, undo: boolean): void {
    // A call admitted inside a budget block: its cost goes to the block, settled when it closes.
    if (this.blocks.settle(part.scope, lease, costNano)) return;
    const settlement: ScopeSettlement = { scope: part.scope, lease, costNano, minute: part.minute, tokenDelta, windowEnd: part.windowEnd, undo };
    // Always counted locally too: with Redis gone, this worker's own spend stays a floor.
    if (part.counting === 'local') this.local.settle(settlement);
    else this.local.addSpent(part.scope, part.windowEnd, costNano);
    if (this.redis === undefined) return;
    // A local admission has no lease in Redis: only its cost (and no token correction) goes there.
    const toRedis = part.counting === 'redis' ? settlement : { ...settlement, minute: -1, tokenDelta: 0, undo: false };
    if (toRedis.costNano === 0 && part.counting === 'local') return;
    if (this.pending.length > 0 || !this.redis.available) {
      this.queue(toRedis);
      return;
    }
    const sent: Promise<void> = this.redis.settle(toRedis).then((done) => {
      this.sending.delete(sent);
      if (!done) this.queue(toRedis);
    });
    this.sending.add(sent);
  }

  private queue(settlement: ScopeSettlement): void {
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      if (!this.droppedLogged) this.options.logger.warn({ kept: MAX_PENDING }, 'limits: Redis has been away long; the oldest settlements waiting for it are dropped');
      this.droppedLogged = true;
    }
    this.pending.push(settlement);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.replay(), REPLAY_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Sends waiting settlements in order while Redis takes them; stops at the first it does not. */
  private async replay(): Promise<void> {
    if (this.replaying || this.redis === undefined || !this.redis.available) return;
    this.replaying = true;
    try {
      while (this.pending.length > 0) {
        if (!(await this.redis.settle(this.pending[0]!))) return;
        this.pending.shift();
      }
      this.stopReplay();
    } finally {
      this.replaying = false;
    }
  }
}

function scopeAnswer(request: ScopeRequest, counting: Counting, verdict: ScopeVerdict): ScopeAnswer {
  return { scope: request.scope, counting, verdict, windowEnd: request.windowEnd, reservedNano: request.scope.maxBudget === null ? 0 : request.costNano };
}

/**
 * A call's lease: unique across the cluster (Redis keeps it as a member of the scope's sets), so
 * 64 random bits per process and a counter; cheaper than a UUID per call.
 */
const LEASE_PREFIX = randomBytes(8).toString('hex');
let leaseCount = 0;
function nextLease(): string {
  return `${LEASE_PREFIX}-${(++leaseCount).toString(36)}`;
}

/** Whether this part of an admission holds a lease (a place for max_parallel_requests, a budget reservation). */
function holdsLease(part: ScopeAdmission): boolean {
  return part.scope.maxParallel !== null || part.scope.maxBudget !== null;
}

/** Whether a scope has any limit to count (a scope without one is never counted). */
export function hasLimits(scope: LimitScope): boolean {
  return scope.rpm !== null || scope.tpm !== null || scope.maxParallel !== null || scope.maxBudget !== null;
}

function denialOf(scope: LimitScope, counting: Counting, verdict: Extract<ScopeVerdict, { ok: false }>): Denial {
  const limit = verdict.reason === 'rpm' ? scope.rpm : verdict.reason === 'tpm' ? scope.tpm : verdict.reason === 'parallel' ? scope.maxParallel : scope.maxBudget;
  return { scope, reason: verdict.reason, counting, retryAfterS: Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)), limit: limit ?? 0, used: verdict.used };
}
