import { addDuration, fixedDurationMs } from './budget-duration.js';
import type { LimitScope } from './limit-scope.js';

/** A scope's current budget window: its end (epoch ms; undefined: a budget that never resets) and the spend known in it. */
export interface BudgetWindow {
  readonly end: number | undefined;
  /** USD the database knows for this window: the scope's spend while its window is the stored one, else 0. */
  readonly floorUsd: number;
}

/** Calendar months the stored end may be behind by before we give up stepping (fixed lengths are computed, not stepped). */
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
  const end = windowEndAfter(stored, scope.budgetDuration, now);
  return end === undefined ? { end: stored, floorUsd: scope.spend } : { end, floorUsd: 0 };
}

/**
 * The end of the window that holds `now` on the grid a stored end lays down: the first
 * `stored + k × duration` after `now`. Every process that knows the stored end names the same
 * window, whichever of them moves the stored end and whenever it does (the reset job uses it too).
 * Undefined when the duration is not one LiteLLM reads, or the stored end is too far behind.
 */
export function windowEndAfter(stored: number, duration: string, now: number): number | undefined {
  if (now < stored) return stored;
  const step = fixedDurationMs(duration);
  if (step !== undefined) return stored + (Math.floor((now - stored) / step) + 1) * step;
  let end = stored;
  for (let i = 0; i < MAX_STEPS && end <= now; i++) {
    const next = addDuration(end, duration);
    if (next === undefined || next <= end) return undefined;
    end = next;
  }
  return end > now ? end : undefined;
}
