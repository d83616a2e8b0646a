import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createLogger } from '../src/core/index.js';
import { createPostgresClient } from '../src/db/postgres-client.js';
import { spendRecord } from '../src/server/spend-record.js';
import { SpendWriter } from '../src/spend/spend-writer.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { benchCallContext } from './spend-context.js';

/**
 * `node --import tsx bench/spend-row-bench.ts`: a worker's CPU per spend row, in process (user +
 * system time of this whole process, every thread: GC helpers and the socket writes included),
 * against the local PostgreSQL: building the row alone, then the row recorded and written by the
 * real SpendWriter in its batches; and PostgreSQL's backend CPU per row. Rows are recorded at a
 * steady pace (500, then a turn of the event loop) as a busy worker would. Alternating rounds,
 * medians. Less noisy than the proxy bench on a shared machine: nothing else of the request path.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function backendCpu(database: string): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(database)) continue;
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICKS;
}

async function round(kind: 'build' | 'write', writer: SpendWriter, database: string): Promise<{ worker: number; postgres: number }> {
  const keep: unknown[] = [];
  const pgBefore = backendCpu(database);
  const before = cpuNow();
  for (let i = 0; i < ROWS; i += 500) {
    for (let j = 0; j < 500; j++) {
      const row = spendRecord(benchCallContext(), 200)!;
      if (kind === 'write') writer.record(row);
      else if (j === 0) keep.push(row);
    }
    await yieldToLoop();
  }
  while (writer.pendingRows > 0) await writer.flush();
  const worker = ((cpuNow() - before) * 1e6) / ROWS;
  const postgres = ((backendCpu(database) - pgBefore) * 1e6) / ROWS;
  return { worker, postgres };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const db = await createTestDatabase();
const logger = createLogger({ level: 'error', pretty: false, base: {} });
const client = createPostgresClient(db.url, logger);
const writer = new SpendWriter({ db: client, logger, flushIntervalMs: 3_600_000 });
try {
  await round('write', writer, db.name); // warm-up, and the schema
  const build: number[] = [];
  const write: number[] = [];
  const pg: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    build.push((await round('build', writer, db.name)).worker);
    const w = await round('write', writer, db.name);
    write.push(w.worker);
    pg.push(w.postgres);
  }
  const fmt = (v: number[]): string => `${median(v).toFixed(2)} µs (${v.map((x) => x.toFixed(1)).join(', ')})`;
  console.log(`${ROWS} rows a round, ${ROUNDS} rounds; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(`worker CPU per row, building the row only: ${fmt(build)}`);
  console.log(`worker CPU per row, built, recorded and written: ${fmt(write)}`);
  console.log(`PostgreSQL backend CPU per row: ${fmt(pg)}`);
} finally {
  await client.end();
  await db.drop();
}
