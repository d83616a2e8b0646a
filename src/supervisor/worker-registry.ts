import type { Worker } from 'node:cluster';
import type { RecycleReason } from './ipc-messages.js';

export type WorkerState = 'booting' | 'ready' | 'draining' | 'exited';

/** The primary's view of one worker process. */
export interface WorkerRecord {
  readonly slot: number;
  readonly spawn: number;
  readonly pid: number;
  readonly worker: Worker;
  readonly limit: number | undefined;
  readonly startedAt: number;
  state: WorkerState;
  readyAt?: number;
  served: number;
  inFlight: number;
  rssBytes: number;
  /** Requests per second over the last ping interval (from the pongs' served counts). */
  requestRate?: number;
  lastRateAt?: number;
  lastRateServed?: number;
  eventLoopLagMs: number;
  lastPongAt: number;
  /** pid of the worker this one replaces (surge, then drain). */
  replaces?: number;
  /** Why the primary ended this worker, when it did; an exit without one is a crash. */
  endedBy?: 'drain' | 'hung' | 'not-ready' | 'shutdown-kill';
  /** Why it was drained (a recycle reason, or shutdown): the restart metric counts by it. */
  drainReason?: RecycleReason | 'shutdown';
  bootError?: string;
  bootProblems?: string[];
  drainStartedAt?: number;
  timers: Set<NodeJS.Timeout>;
}

/** Every live worker, by pid, with the look-ups the supervisor needs. */
export class WorkerRegistry {
  private readonly byPid = new Map<number, WorkerRecord>();

  add(record: WorkerRecord): void {
    this.byPid.set(record.pid, record);
  }

  remove(pid: number): WorkerRecord | undefined {
    const record = this.byPid.get(pid);
    if (record) {
      for (const timer of record.timers) clearTimeout(timer);
      record.timers.clear();
      this.byPid.delete(pid);
    }
    return record;
  }

  get(pid: number): WorkerRecord | undefined {
    return this.byPid.get(pid);
  }

  all(): WorkerRecord[] {
    return [...this.byPid.values()];
  }

  /** The worker currently serving a slot (ready, not draining). */
  serving(slot: number): WorkerRecord | undefined {
    return this.all().find((r) => r.slot === slot && r.state === 'ready');
  }

  count(state?: WorkerRecord['state']): number {
    return state === undefined ? this.byPid.size : this.all().filter((r) => r.state === state).length;
  }

  /** A snapshot for logs and status: slot, pid, state, served, limit, started. */
  snapshot(): Array<Pick<WorkerRecord, 'slot' | 'pid' | 'state' | 'served' | 'limit' | 'startedAt'>> {
    return this.all()
      .sort((a, b) => a.slot - b.slot || a.spawn - b.spawn)
      .map(({ slot, pid, state, served, limit, startedAt }) => ({ slot, pid, state, served, limit, startedAt }));
  }
}
