import type { Logger } from '../core/index.js';
import { migrate, type SqlClient } from '../db/index.js';
import { querySpendLogs, type SpendLogFilter } from './spend-log-query.js';
import type { SpendRow } from './spend-row.js';
import { SpendWriter, type SpendWriterObserver, type SpendWriterOptions } from './spend-writer.js';

/** A worker's spend logs: the batched writer, and the reads behind `GET /spend/logs`. */
export class SpendLogs {
  private readonly writer: SpendWriter;
  private schemaReady: Promise<unknown> | undefined;

  constructor(private readonly db: SqlClient, logger: Logger, options: Omit<SpendWriterOptions, 'db' | 'logger'> & { observer?: SpendWriterObserver } = {}) {
    this.writer = new SpendWriter({ ...options, db, logger });
    this.writer.start();
  }

  record(row: SpendRow): void {
    this.writer.record(row);
  }

  get pendingRows(): number {
    return this.writer.pendingRows;
  }

  async query(filter: SpendLogFilter): Promise<Array<Record<string, unknown>>> {
    this.schemaReady ??= migrate(this.db).catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    await this.schemaReady;
    return querySpendLogs(this.db, filter);
  }

  /** The last flush (a draining worker), then the connections closed. Returns the rows lost. */
  async close(timeoutMs: number): Promise<number> {
    const lost = await this.writer.close(timeoutMs);
    await this.db.end(1_000).catch(() => undefined);
    return lost;
  }
}
