import type { LimitScope } from './limit-scope.js';
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
}

/** Worker → primary (src/supervisor/ipc-messages.ts carries them). */
export type LimitsWorkerMessage =
  | { type: 'limits-admit'; seq: number; request: ScopeRequest }
  | { type: 'limits-settle'; settlement: ScopeSettlement }
  /** Spend notes gathered over a second (noteSpent's highest, addSpent's sum per scope and window). */
  | { type: 'limits-spent'; notes: SpentNote[] };

export interface SpentNote {
  readonly scope: LimitScope;
  readonly windowEnd: number | null;
  readonly nano: number;
  readonly add: boolean;
}

/** Primary → worker: the host's verdict on one `limits-admit`. */
export type LimitsPrimaryMessage = { type: 'limits-verdict'; seq: number; verdict: ScopeVerdict };

/** The primary's side: the host's one count. */
export class HostLimits {
  private readonly local: LocalLimits;

  constructor(now: () => number = Date.now) {
    this.local = new LocalLimits(now);
  }

  handle(message: LimitsWorkerMessage, reply: (message: LimitsPrimaryMessage) => void): void {
    if (message.type === 'limits-admit') reply({ type: 'limits-verdict', seq: message.seq, verdict: this.local.admit(message.request) });
    else if (message.type === 'limits-settle') this.local.settle(message.settlement);
    else {
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
/** Spend notes go to the primary at most this often (they come with every budgeted call while Redis is up). */
const NOTES_EVERY_MS = 1_000;

/** A worker's side: asks the primary; counts alone when the primary cannot answer. */
export class HostCounter implements LocalCounter {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (verdict: ScopeVerdict) => void; timer: NodeJS.Timeout }>();
  private readonly own: LocalLimits;
  /** Leases this worker admitted alone: their settlements stay here. */
  private readonly ownLeases = new Set<string>();
  private readonly notes = new Map<string, { scope: LimitScope; windowEnd: number | null; nano: number; add: boolean }>();
  private notesTimer: NodeJS.Timeout | undefined;

  constructor(private readonly channel: HostChannel, now: () => number = Date.now, private readonly timeoutMs = ANSWER_TIMEOUT_MS) {
    this.own = new LocalLimits(now);
  }

  admit(request: ScopeRequest): ScopeVerdict | Promise<ScopeVerdict> {
    if (!this.channel.connected()) return this.admitAlone(request);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        resolve(this.admitAlone(request));
      }, this.timeoutMs);
      this.waiting.set(seq, { resolve, timer });
      this.channel.send({ type: 'limits-admit', seq, request });
    });
  }

  receive(message: LimitsPrimaryMessage): void {
    const waiting = this.waiting.get(message.seq);
    if (waiting === undefined) return; // answered too late: the call was counted here instead
    this.waiting.delete(message.seq);
    clearTimeout(waiting.timer);
    waiting.resolve(message.verdict);
  }

  settle(settlement: ScopeSettlement): void {
    if (this.ownLeases.delete(`${settlement.lease} ${settlement.scope.kind}:${settlement.scope.id}`)) this.own.settle(settlement);
    else if (this.channel.connected()) this.channel.send({ type: 'limits-settle', settlement });
  }

  noteSpent(scope: LimitScope, windowEnd: number | undefined, spentNano: number): void {
    this.own.noteSpent(scope, windowEnd, spentNano);
    this.note(scope, windowEnd, spentNano, false);
  }

  addSpent(scope: LimitScope, windowEnd: number | undefined, costNano: number): void {
    this.own.addSpent(scope, windowEnd, costNano);
    if (costNano > 0 && scope.maxBudget !== null) this.note(scope, windowEnd, costNano, true);
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

  private admitAlone(request: ScopeRequest): ScopeVerdict {
    const verdict = this.own.admit(request);
    if (verdict.ok) this.ownLeases.add(`${request.lease} ${request.scope.kind}:${request.scope.id}`);
    return verdict;
  }
}
