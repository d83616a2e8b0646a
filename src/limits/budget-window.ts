import { addDuration } from './budget-duration.js';
import type { LimitScope } from './limit-scope.js';

/** A scope's current budget window: its end (epoch ms; undefined: a budget that never resets) and the spend known in it. */
export interface BudgetWindow {
  readonly end: number | undefined;
  /** USD the database knows for this window: the scope's spend while its window is the stored one, else 0. */
  readonly floorUsd: number;
}

/** Windows the stored end may be behind by before we give up stepping (a `1s` budget unread for days). */
const MAX_STEPS = 10_000;

/**
 * The window a call at `now` counts in. The stored `budget_reset_at` is the current window's end
 * until the reset job (any worker, every few seconds) moves it; a call after that end, before the
 * job has run, is already in the next window: it starts fresh (the database's spend belongs to the
 * ended window), so a `budget_duration` reset restores access on time, job or no job.
 */
export function budgetWindow(scope: LimitScope, now: number): BudgetWindow {
  const stored = scope.budgetResetAt;
  if (stored === null || scope.budgetDuration === null) return { end: stored ?? undefined, floorUsd: scope.spend };
  if (now < stored) return { end: stored, floorUsd: scope.spend };
  let end = stored;
  for (let i = 0; i < MAX_STEPS && end <= now; i++) {
    const next = addDuration(end, scope.budgetDuration);
    if (next === undefined || next <= end) return { end: stored, floorUsd: scope.spend };
    end = next;
  }
  return { end, floorUsd: 0 };
}
