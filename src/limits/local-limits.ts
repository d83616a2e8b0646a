import type { LimitScope } from './limit-scope.js';
import { LEASE_TTL_MS, type ScopeRequest, type ScopeSettlement, type ScopeVerdict } from './redis-limits.js';

interface LocalScope {
  /** Admission times of the last 60 s, oldest first, with their leases. */
  rpm: Array<{ at: number; lease: string }>;
  tpmMinute: number;
  tpmUsed: number;
  /** Lease → expiry and nano-USD reserved. */
  leases: Map<string, { until: number; held: number }>;
  /** Window end ('all' for none) → nano-USD settled here in it. */
  spent: Map<string, number>;
}

/** Scopes a worker keeps while Redis is away; the least recently used go first past it. */
const MAX_SCOPES = 50_000;

/**
 * The same rules as the Redis scripts, counted in one process: used while Redis is down or not
 * configured. The primary holds one for its whole host (host-limits.ts), so a host lets through
 * the limit once, not once per worker (docs/limits.md); a worker keeps its own only for when its
 * primary does not answer. Budgets stay checked against the last known spend (the key record's,
 * the cluster's as Redis last said, plus what was settled here since).
 */
export class LocalLimits {
  private readonly scopes = new Map<string, LocalScope>();

  constructor(private readonly now: () => number = Date.now, private readonly leaseTtlMs = LEASE_TTL_MS) {}

  admit(request: ScopeRequest): ScopeVerdict {
    const { scope } = request;
    const now = this.now();
    const s = this.state(scope);
    const minute = Math.floor(now / 60_000);
    if (scope.rpm !== null) {
      while (s.rpm.length > 0 && s.rpm[0]!.at <= now - 60_000) s.rpm.shift();
      if (s.rpm.length >= scope.rpm) return { ok: false, reason: 'rpm', retryAfterMs: Math.max(1, s.rpm[0] === undefined ? 1_000 : s.rpm[0].at + 60_000 - now), used: s.rpm.length };
    }
    if (s.tpmMinute !== minute) {
      s.tpmMinute = minute;
      s.tpmUsed = 0;
    }
    if (scope.tpm !== null && s.tpmUsed >= scope.tpm) return { ok: false, reason: 'tpm', retryAfterMs: (minute + 1) * 60_000 - now, used: s.tpmUsed };
    for (const [lease, held] of s.leases) if (held.until <= now) s.leases.delete(lease);
    if (scope.maxParallel !== null && s.leases.size >= scope.maxParallel) return { ok: false, reason: 'parallel', retryAfterMs: 1_000, used: s.leases.size };
    if (scope.maxBudget !== null) {
      const window = windowName(request.windowEnd);
      for (const name of s.spent.keys()) if (name !== window && name !== 'all' && Number(name) < now) s.spent.delete(name);
      const spent = Math.max(s.spent.get(window) ?? 0, request.floorNano);
      s.spent.set(window, spent);
      const budget = Math.round(scope.maxBudget * 1e9);
      if (spent >= budget) return { ok: false, reason: 'budget', retryAfterMs: 0, used: spent / 1e9 };
      let reserved = 0;
      for (const held of s.leases.values()) reserved += held.held;
      if ((reserved > 0 || request.whole === true) && spent + reserved + request.costNano > budget) return { ok: false, reason: 'budget_held', retryAfterMs: 1_000, used: spent / 1e9 };
    }
    if (scope.rpm !== null) s.rpm.push({ at: now, lease: request.lease });
    if (scope.tpm !== null) s.tpmUsed += request.tokens;
    if (scope.maxParallel !== null || scope.maxBudget !== null) {
      s.leases.set(request.lease, { until: now + this.leaseTtlMs, held: scope.maxBudget === null ? 0 : request.costNano });
    }
    return { ok: true, minute };
  }

  settle(settlement: ScopeSettlement): void {
    const s = this.scopes.get(scopeName(settlement.scope));
    if (s === undefined) return;
    s.leases.delete(settlement.lease);
    if (settlement.undo) s.rpm = s.rpm.filter((entry) => entry.lease !== settlement.lease);
    if (settlement.minute === s.tpmMinute) s.tpmUsed = Math.max(0, s.tpmUsed + settlement.tokenDelta);
    this.addSpent(settlement.scope, settlement.windowEnd, settlement.costNano);
  }

  /** Leases of calls still in flight live a lease time to live longer; one already lapsed stays gone. */
  renew(scope: LimitScope, leases: readonly string[]): void {
    const s = this.scopes.get(scopeName(scope));
    if (s === undefined) return;
    const now = this.now();
    for (const lease of leases) {
      const held = s.leases.get(lease);
      if (held !== undefined && held.until > now) held.until = now + this.leaseTtlMs;
    }
  }

  /** The cluster's spend as Redis last told it: while Redis is away, the budget is checked against at least that. */
  noteSpent(scope: LimitScope, windowEnd: number | undefined, spentNano: number): void {
    const s = this.state(scope);
    const window = windowName(windowEnd);
    s.spent.set(window, Math.max(s.spent.get(window) ?? 0, spentNano));
  }

  /** A settlement that went to Redis while this worker counted locally too: local spend stays a floor. */
  addSpent(scope: LimitScope, windowEnd: number | undefined, costNano: number): void {
    if (costNano <= 0 || scope.maxBudget === null) return;
    const s = this.state(scope);
    const window = windowName(windowEnd);
    s.spent.set(window, (s.spent.get(window) ?? 0) + costNano);
  }

  private state(scope: LimitScope): LocalScope {
    const name = scopeName(scope);
    let s = this.scopes.get(name);
    if (s === undefined) {
      if (this.scopes.size >= MAX_SCOPES) this.scopes.delete(this.scopes.keys().next().value!);
      s = { rpm: [], tpmMinute: -1, tpmUsed: 0, leases: new Map(), spent: new Map() };
    } else this.scopes.delete(name); // re-inserted below: the map's order is least recently used first
    this.scopes.set(name, s);
    return s;
  }
}

function scopeName(scope: LimitScope): string {
  return `${scope.kind}:${scope.id}`;
}

function windowName(end: number | undefined): string {
  return end === undefined ? 'all' : String(end);
}
