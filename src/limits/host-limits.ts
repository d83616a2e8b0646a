import { perScopeKind, type LimitScope } from './limit-scope.js';
import { LocalLimits } from './local-limits.js';
import type { ScopeRequest, ScopeSettlement, ScopeVerdict } from './redis-limits.js';

/**
 * The count a call falls back to while Redis is away (or not configured): one per host, not one
 * per worker. The primary keeps it (`HostLimits`, one `LocalLimits` for every worker of the host,
 * which also outlives a recycled worker); each worker asks it over IPC (`HostCounter`). A worker
 * whose primary does not answer within a second (or that runs without one: tests, benches) counts
 * alone, as before.
 */
export interface LocalCounter {
  admit(request: ScopeRequest): ScopeVerdict | Promise<ScopeVerdict>;
  settle(settlement: ScopeSettlement): void;
  /** The cluster's spend of a window as Redis last told it: a floor while Redis is away. */
  noteSpent(scope: LimitScope, windowEnd: number | undefined, spentNano: number): void;
  /** Spend settled in Redis by this host while it counted locally too: stays a floor. */
  addSpent(scope: LimitScope, windowEnd: number | undefined, costNano: number): void;
  /** Calls (or budget blocks) still in flight keep their leases (see limit-renew-script.ts). */
  renew(scope: LimitScope, leases: readonly string[]): void;
}

/**
 * Worker → primary (src/supervisor/ipc-messages.ts carries them). Admissions and settlements
 * asked within one turn of the worker's event loop travel together: under load one message
 * carries many calls (an IPC message costs the two processes ~20-30 µs of CPU).
 */
export type LimitsWorkerMessage =
  | { type: 'limits-batch'; admits: Array<{ seq: number; request: ScopeRequest }>; settlements: ScopeSettlement[] }
  /** Spend notes gathered over a second (noteSpent's highest, addSpent's sum per scope and window). */
  | { type: 'limits-spent'; notes: SpentNote[] }
  /** Leases of calls still in flight, renewed every quarter of their time to live. */
  | { type: 'limits-renew'; scope: LimitScope; leases: string[] };

export interface SpentNote {
  readonly scope: LimitScope;
  readonly windowEnd: number | null;
  readonly nano: number;
  readonly add: boolean;
}

/** Primary → worker: the host's verdicts on one batch's admissions. */
export type LimitsPrimaryMessage = { type: 'limits-verdict'; verdicts: Array<{ seq: number; verdict: ScopeVerdict }> };

/** The primary's side: the host's one count. */
export class HostLimits {
  private readonly local: LocalLimits;

  constructor(now: () => number = Date.now, leaseTtlMs?: number) {
    this.local = new LocalLimits(now, leaseTtlMs);
  }

  handle(message: LimitsWorkerMessage, reply: (message: LimitsPrimaryMessage) => void): void {
    if (message.type === 'limits-batch') {
      // Settlements first: the places they free are there for the admissions of the same batch.
      for (const settlement of message.settlements) this.local.settle(settlement);
      if (message.admits.length === 0) return;
      reply({ type: 'limits-verdict', verdicts: message.admits.map(({ seq, request }) => ({ seq, verdict: this.local.admit(request) })) });
    } else if (message.type === 'limits-renew') {
      this.local.renew(message.scope, message.leases);
    } else {
      for (const note of message.notes) {
        if (note.add) this.local.addSpent(note.scope, note.windowEnd ?? undefined, note.nano);
        else this.local.noteSpent(note.scope, note.windowEnd ?? undefined, note.nano);
      }
    }
  }
}

export interface HostChannel {
  send(message: LimitsWorkerMessage): void;
  connected(): boolean;
}

/** How long a worker waits for its primary's verdict before counting alone. */
const ANSWER_TIMEOUT_MS = 1_000;
/**
 * An IPC message costs the two processes ~25-50 µs of CPU on this machine (mostly the socket
 * write and waking the other process), more than the count itself: under load, admissions are
 * gathered for up to this long (a call waits at most this much more; nothing waits at low load).
 */
const COALESCE_MS = 1;
/** Settlements with no admission to ride with go after this long (places they free wait as long). */
const SETTLE_DELAY_MS = 2;
/** Spend notes go to the primary at most this often (they come with every budgeted call while Redis is up). */
const NOTES_EVERY_MS = 1_000;
/** A worker's side: asks the primary; counts alone when the primary cannot answer. */
export class HostCounter implements LocalCounter {
  private seq = 0;
  /** Admissions asked of the primary (queued or sent) and not yet answered. */
  private readonly waiting = new Map<number, { resolve: (verdict: ScopeVerdict) => void; request: ScopeRequest }>();
  private readonly own: LocalLimits;
  /** Leases this worker admitted alone, per scope kind (a call has one scope of each): their settlements stay here. */
  private readonly ownLeases: Record<LimitScope['kind'], Set<string>> = perScopeKind(() => new Set());
  private admits: Array<{ seq: number; request: ScopeRequest }> = [];
  private settlements: ScopeSettlement[] = [];
  private flushQueued = false;
  private lastSentAt = -Infinity;
  private outstanding: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly notes = new Map<string, { scope: LimitScope; windowEnd: number | null; nano: number; add: boolean }>();
  private notesTimer: NodeJS.Timeout | undefined;
  constructor(private readonly channel: HostChannel, now: () => number = Date.now, private readonly timeoutMs = ANSWER_TIMEOUT_MS) {
    this.own = new LocalLimits(now);
  }

  /** Flushes what waits to go to the primary (a worker about to exit). */
  close(): void {
    this.flush();
  }

  admit(request: ScopeRequest): ScopeVerdict | Promise<ScopeVerdict> {
    if (!this.channel.connected()) return this.admitAlone(request);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(seq, { resolve, request });
      this.admits.push({ seq, request });
      this.scheduleFlush();
    });
  }

  receive(message: LimitsPrimaryMessage): void {
    this.answered();
    for (const { seq, verdict } of message.verdicts) {
      const waiting = this.waiting.get(seq);
      if (waiting === undefined) continue; // answered too late: the call was counted here instead
      this.waiting.delete(seq);
      waiting.resolve(verdict);
    }
  }

  settle(settlement: ScopeSettlement): void {
    if (this.ownLeases[settlement.scope.kind].delete(settlement.lease)) this.own.settle(settlement);
    else {
      this.settlements.push(settlement);
      this.scheduleFlush();
    }
  }

  /**
   * At most one batch of admissions is on its way to the primary at a time: while it is, new
   * admissions wait and go together when its verdicts come back (so under load one message carries
   * what arrived during a round trip, and at low load nothing waits). Settlements ride with the
   * next batch, or go on their own after SETTLE_DELAY_MS.
   */
  private scheduleFlush(): void {
    if (this.admits.length > 0) {
      if (this.outstanding !== undefined || this.flushQueued) return;
      this.flushQueued = true;
      // Busy (the last batch went less than COALESCE_MS ago): wait that long, so that one message
      // carries several calls; otherwise at once.
      if (performance.now() - this.lastSentAt < COALESCE_MS) setTimeout(() => this.flush(), COALESCE_MS);
      else setImmediate(() => this.flush());
    } else if (this.settleTimer === undefined && !this.flushQueued) {
      this.settleTimer = setTimeout(() => this.flush(), SETTLE_DELAY_MS);
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (this.admits.length > 0 && this.outstanding !== undefined) return; // sent when the outstanding batch is answered
    const admits = this.admits;
    const settlements = this.settlements;
    if (admits.length === 0 && settlements.length === 0) return;
    this.admits = [];
    this.settlements = [];
    // Not connected: the waiting admissions are counted here; settlements of the host's leases
    // are lost with the primary that held them.
    if (!this.channel.connected()) {
      this.countWaitingAlone();
      return;
    }
    this.channel.send({ type: 'limits-batch', admits, settlements });
    if (admits.length > 0) {
      this.lastSentAt = performance.now();
      // Its verdicts free the way for the next batch. If they never come, every admission still
      // waiting (this batch's and those queued behind it) is counted here.
      this.outstanding = setTimeout(() => {
        this.outstanding = undefined;
        this.countWaitingAlone();
      }, this.timeoutMs);
    }
  }

  private answered(): void {
    if (this.outstanding !== undefined) clearTimeout(this.outstanding);
    this.outstanding = undefined;
    if (this.admits.length > 0) this.scheduleFlush();
  }


  noteSpent(scope: LimitScope, windowEnd: number | undefined, spentNano: number): void {
    this.own.noteSpent(scope, windowEnd, spentNano);
    this.note(scope, windowEnd, spentNano, false);
  }

  addSpent(scope: LimitScope, windowEnd: number | undefined, costNano: number): void {
    this.own.addSpent(scope, windowEnd, costNano);
    if (costNano > 0 && scope.maxBudget !== null) this.note(scope, windowEnd, costNano, true);
  }

  renew(scope: LimitScope, leases: readonly string[]): void {
    // Leases counted alone stay here; the host's go to the primary.
    const own = this.ownLeases[scope.kind];
    this.own.renew(scope, leases.filter((lease) => own.has(lease)));
    const host = leases.filter((lease) => !own.has(lease));
    if (host.length > 0 && this.channel.connected()) this.channel.send({ type: 'limits-renew', scope, leases: host });
  }

  private note(scope: LimitScope, windowEnd: number | undefined, nano: number, add: boolean): void {
    const name = `${add ? '+' : '='} ${scope.kind}:${scope.id} ${windowEnd ?? 'all'}`;
    const kept = this.notes.get(name);
    if (kept === undefined) this.notes.set(name, { scope, windowEnd: windowEnd ?? null, nano, add });
    else kept.nano = add ? kept.nano + nano : Math.max(kept.nano, nano);
    if (this.notesTimer === undefined) {
      this.notesTimer = setTimeout(() => this.sendNotes(), NOTES_EVERY_MS);
      this.notesTimer.unref();
    }
  }

  private sendNotes(): void {
    this.notesTimer = undefined;
    if (this.notes.size === 0) return;
    const notes = [...this.notes.values()];
    this.notes.clear();
    if (this.channel.connected()) this.channel.send({ type: 'limits-spent', notes });
  }

  private countWaitingAlone(): void {
    this.admits = [];
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const { resolve, request } of waiting) resolve(this.admitAlone(request));
  }

  private admitAlone(request: ScopeRequest): ScopeVerdict {
    const verdict = this.own.admit(request);
    if (verdict.ok) this.ownLeases[request.scope.kind].add(request.lease);
    return verdict;
  }
}

