import type { Logger } from '../core/index.js';
import { migrate, type SqlClient } from '../db/index.js';
import { batchParameters, batchSelect } from './spend-batch.js';
import { SPEND_COLUMNS, type SpendRow } from './spend-row.js';

/** Counts for the metrics: rows waiting in this worker, rows written, rows given up. */
export interface SpendWriterObserver {
  pending(rows: number): void;
  written(rows: number): void;
  dropped(rows: number): void;
}

export interface SpendWriterOptions {
  db: SqlClient;
  logger: Logger;
  /** A flush at least this often while rows wait (2 s). */
  flushIntervalMs?: number;
  /** Rows per INSERT; a flush starts at once when this many wait (500). */
  batchRows?: number;
  /** Rows held while PostgreSQL is unreachable; past it new rows are dropped and counted (50,000). */
  maxPendingRows?: number;
  /**
   * False with `disable_spend_logs`: no log rows, only each call's cost added to its key, team and
   * user (rows without a key are not kept at all). Default true.
   */
  keepRows?: boolean;
  observer?: SpendWriterObserver;
}

const COLUMN_LIST = SPEND_COLUMNS.map(([name]) => `"${name}"`).join(', ');
/**
 * One statement per batch (its parameters: spend-batch.ts), so a batch costs one round trip
 * whatever its size. ON CONFLICT makes a retry after a lost acknowledgement harmless.
 */
const INSERT = `INSERT INTO "LiteLLM_SpendLogs" (${COLUMN_LIST}) ${batchSelect()} ON CONFLICT ("request_id") DO NOTHING RETURNING "api_key", "team_id", "user", "spend"`;
/** The batch's rows as `written` without logging them (disable_spend_logs). */
const SPEND_ONLY_COLUMNS = SPEND_COLUMNS.filter(([name]) => name === 'api_key' || name === 'team_id' || name === 'user' || name === 'spend');
const ROWS_ONLY = batchSelect(SPEND_ONLY_COLUMNS);

/**
 * The cost of what was written, added to the `spend` columns of LiteLLM's key, team and user
 * tables in the same statement (data-modifying CTEs always run). Only rows the INSERT took count:
 * a batch retried after a lost acknowledgement adds nothing twice. `api_key` is the key's hash
 * (LiteLLM's `token`), `user` its user_id.
 */
function spendStatement(written: string): string {
  const add = (table: string, id: string, source: string, where: string) => `UPDATE "${table}" AS t SET "spend" = t."spend" + s.total
      FROM (SELECT ${source} AS id, sum("spend") AS total FROM written WHERE ${where} GROUP BY 1) AS s WHERE t."${id}" = s.id AND s.total > 0`;
  return `WITH written AS (${written}),
    keys AS (${add('LiteLLM_VerificationToken', 'token', '"api_key"', `"api_key" <> ''`)}),
    teams AS (${add('LiteLLM_TeamTable', 'team_id', '"team_id"', `"team_id" IS NOT NULL`)}),
    users AS (${add('LiteLLM_UserTable', 'user_id', '"user"', `"user" <> ''`)})
    SELECT count(*) AS n FROM written`;
}
const WRITE_ROWS = spendStatement(INSERT);
const WRITE_SPEND_ONLY = spendStatement(ROWS_ONLY);

const MAX_BACKOFF_MS = 5_000;

/**
 * Spend rows written off the request path: `record` only appends to this worker's buffer;
 * batches go to PostgreSQL every `flushIntervalMs` or as soon as `batchRows` wait. While
 * PostgreSQL is unreachable the rows stay in the buffer (bounded by `maxPendingRows`; past it new
 * rows are dropped and counted) and go out once it is back. The schema is brought up to date
 * before the first write, and again after a failure (the database may be a new one).
 */
export class SpendWriter {
  private pending: SpendRow[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private migrated = false;
  private failures = 0;
  private retryAt = 0;
  private readonly flushIntervalMs: number;
  private readonly batchRows: number;
  private readonly maxPendingRows: number;

  constructor(private readonly options: SpendWriterOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 2_000;
    this.batchRows = options.batchRows ?? 500;
    this.maxPendingRows = options.maxPendingRows ?? 50_000;
  }

  /** Starts the periodic flush (unref'd: it never keeps the process alive). */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
    this.options.observer?.pending(this.pending.length); // the gauge and counters exist from start-up (at 0)
  }

  get pendingRows(): number {
    return this.pending.length;
  }

  record(row: SpendRow): void {
    if (this.options.keepRows === false && row.api_key === '') return;
    if (this.pending.length >= this.maxPendingRows) {
      this.options.observer?.dropped(1);
      return;
    }
    this.pending.push(row);
    this.options.observer?.pending(this.pending.length);
    if (this.pending.length >= this.batchRows && this.flushing === undefined && Date.now() >= this.retryAt) void this.flush();
  }

  /** Writes what waits, a batch at a time; one flush runs at a time. Never throws. */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    if (this.pending.length === 0 || Date.now() < this.retryAt) return Promise.resolve();
    this.flushing = this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * A draining worker's last flush: stops the timer and keeps trying until every row is written
   * or `timeoutMs` has passed. Returns the rows it could not write (lost, and logged).
   */
  async close(timeoutMs: number): Promise<number> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.pending.length > 0) await sleep(Math.max(0, Math.min(this.retryAt, deadline) - Date.now()));
    }
    const lost = this.pending.length;
    if (lost > 0) {
      this.options.logger.error({ rows: lost, timeout_ms: timeoutMs }, 'spend logs: PostgreSQL unreachable while this worker exits; its pending rows are lost');
      this.options.observer?.dropped(lost);
      this.pending = [];
      this.options.observer?.pending(0);
    }
    return lost;
  }

  /**
   * Writes what waits (flush calls it with rows waiting): one batch, then more only while a whole batch waits. Rows that came in
   * while a batch was on its way wait for the next (a full batch, the timer, or close): writing
   * them at once made a busy worker send a stream of small batches, each paying the statement's
   * fixed cost in PostgreSQL.
   */
  private async writeAll(): Promise<void> {
    do {
      const batch = this.pending.slice(0, this.batchRows);
      try {
        if (!this.migrated) {
          await migrate(this.options.db);
          this.migrated = true;
        }
        const keep = this.options.keepRows !== false;
        await this.options.db.query(keep ? WRITE_ROWS : WRITE_SPEND_ONLY, keep ? batchParameters(batch) : batchParameters(batch, SPEND_ONLY_COLUMNS));
      } catch (error) {
        this.failed(error);
        return;
      }
      this.pending.splice(0, batch.length);
      this.options.observer?.written(batch.length);
      this.options.observer?.pending(this.pending.length);
      if (this.failures > 0) this.options.logger.info({ failures: this.failures, pending: this.pending.length }, 'spend logs: PostgreSQL reachable again; writing the rows held');
      this.failures = 0;
      this.retryAt = 0;
    } while (this.pending.length >= this.batchRows);
  }

  private failed(error: unknown): void {
    this.failures++;
    this.migrated = false;
    this.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 10));
    // One line per outage, not per attempt.
    if (this.failures === 1) {
      this.options.logger.warn({ err: error instanceof Error ? error.message : String(error), pending: this.pending.length }, 'spend logs: cannot write to PostgreSQL; rows are held and retried');
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
