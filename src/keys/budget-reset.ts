import type { SqlClient } from '../db/index.js';
import { addDuration, windowEndAfter } from '../limits/index.js';
import type { KeyChange } from './key-invalidation.js';

/** Any fixed number: the transaction-level advisory lock that keeps budget resets to one process at a time. */
const RESET_LOCK = 7_431_171;

const TABLES = [
  { table: 'LiteLLM_VerificationToken', id: 'token', kind: 'key' },
  { table: 'LiteLLM_TeamTable', id: 'team_id', kind: 'team' },
  { table: 'LiteLLM_UserTable', id: 'user_id', kind: 'user' },
] as const;

/**
 * LiteLLM's budget reset: every key, team and user whose `budget_reset_at` has passed gets
 * `spend` 0 and its next `budget_reset_at`: the end of the window `now` falls in, stepped from the
 * stored end by `budget_duration` (`windowEndAfter`), which is the window every worker already
 * counts in whether or not it has heard of this reset (a host without Redis that runs the job
 * publishes nothing, and the others must not name a different window); none when the duration
 * is not one LiteLLM reads. One process at a time, whichever worker of whichever host gets the
 * advisory lock first; the others find it taken and skip the round. Returns what changed (the
 * caller publishes it, so that caches drop the old spend), or undefined when another process holds
 * the lock.
 */
export async function resetBudgets(db: SqlClient, now = Date.now()): Promise<KeyChange[] | undefined> {
  return db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RESET_LOCK]);
    if (lock?.locked !== true) return undefined;
    const changes: KeyChange[] = [];
    const nowText = new Date(now).toISOString();
    for (const { table, id, kind } of TABLES) {
      const due = await tx.query<{ id: string; budget_duration: string | null; reset_ms: number }>(
        `SELECT "${id}" AS id, "budget_duration", (extract(epoch FROM "budget_reset_at") * 1000)::float8 AS reset_ms
           FROM "${table}" WHERE "budget_reset_at" <= $1::text::timestamp(3) FOR UPDATE`, [nowText],
      );
      if (due.length === 0) continue;
      const next = due.map((row) => {
        const duration = row.budget_duration;
        const at = duration === null ? undefined : windowEndAfter(row.reset_ms, duration, now) ?? addDuration(now, duration);
        return { id: row.id, next: at === undefined ? null : new Date(at).toISOString() };
      });
      await tx.query(
        `UPDATE "${table}" AS t SET "spend" = 0, "budget_reset_at" = r.next::timestamp(3), "updated_at" = now()
           FROM json_to_recordset($1::text::json) AS r(id text, next text) WHERE t."${id}" = r.id`,
        [JSON.stringify(next)],
      );
      for (const row of due) changes.push({ kind, id: row.id });
    }
    return changes;
  });
}
