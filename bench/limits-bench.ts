import { performance } from 'node:perf_hooks';
import { createLogger } from '../src/core/index.js';
import { LimitGate, type Admission, type Denial, type LimitScope } from '../src/limits/index.js';
import { RedisConnection } from '../src/redis/index.js';
import { startRedis } from '../test/support/redis.js';

/**
 * `npm run bench:limits`: what a virtual key's limits cost on the request path, against a real
 * redis-server on loopback. One LimitGate (one worker's): the admission's latency one call at a
 * time, with one scope (a key with rpm, tpm, max_parallel and a budget) and three (its team and
 * user too), each followed by its settlement; then admissions per second with 32 in flight (every
 * call settled as it is admitted), and the same counted locally (no Redis) for scale; last a key
 * with only a budget, which is counted in budget blocks (budget-blocks.ts). Prints a table;
 * asserts nothing.
 */

const ROUNDS = Number(process.env.LIMITS_BENCH_ROUNDS ?? 5_000);
const WARMUP = 500;
const CONCURRENCY = 32;
const THROUGHPUT_MS = 5_000;

function scope(kind: LimitScope['kind'], id: string): LimitScope {
  return { kind, id, rpm: 1e9, tpm: 1e12, maxParallel: 1e6, maxBudget: 1e9, budgetDuration: '30d', budgetResetAt: Date.now() + 86_400_000, spend: 0 };
}

const ESTIMATE = { maxCostUsd: 0.001, tokens: 100 };

function admitted(result: Admission | Denial): Admission {
  if ('reason' in result) throw new Error(`refused: ${result.reason}`);
  return result;
}

async function latency(gate: LimitGate, scopes: LimitScope[]): Promise<{ median: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const started = performance.now();
    const admission = admitted(await gate.admit(scopes, ESTIMATE));
    const took = performance.now() - started;
    gate.settle(admission, 0.0005, 120);
    if (i >= WARMUP) times.push(took);
  }
  times.sort((x, y) => x - y);
  return { median: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

async function throughput(gate: LimitGate, scopes: LimitScope[]): Promise<number> {
  let count = 0;
  const until = performance.now() + THROUGHPUT_MS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) {
      gate.settle(admitted(await gate.admit(scopes, ESTIMATE)), 0.0005, 120);
      count++;
    }
  }));
  return count / (THROUGHPUT_MS / 1000);
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const logger = createLogger({ level: 'silent' });
  const connection = new RedisConnection({ url: redis.url, host: '127.0.0.1', port: redis.port, tls: false, namespace: 'bench' }, { logger, purpose: 'limits-bench' });
  connection.start();
  await connection.firstConnection(5_000);
  const shared = new LimitGate({ redis: connection, logger });
  const local = new LimitGate({ logger });
  const one = [scope('key', 'bench-key')];
  const three = [scope('key', 'bench-key-3'), scope('team', 'bench-team'), scope('user', 'bench-user')];
  // A key with a budget and nothing else: counted in budget blocks (one script per block, not per call).
  const budgetOnly = [{ ...scope('key', 'bench-key-budget'), rpm: null, tpm: null, maxParallel: null }];
  const rows: string[] = [];
  for (const [name, gate] of [['redis', shared], ['local', local]] as const) {
    for (const [label, scopes] of [['1 scope', one], ['3 scopes', three], ['1 scope, budget only (blocks)', budgetOnly]] as const) {
      const lat = await latency(gate, scopes);
      const rate = await throughput(gate, scopes);
      rows.push(`| ${name} | ${label} | ${(lat.median * 1000).toFixed(0)} | ${(lat.p99 * 1000).toFixed(0)} | ${Math.round(rate)} |`);
    }
  }
  console.log(`limits bench: ${ROUNDS} admissions one at a time (median, p99 in µs), then admissions/s with ${CONCURRENCY} in flight for ${THROUGHPUT_MS / 1000} s`);
  console.log('| counting | scopes | admit median µs | admit p99 µs | admits/s at 32 in flight |');
  console.log('|---|---|---:|---:|---:|');
  for (const row of rows) console.log(row);
  await shared.close();
  await local.close();
  await connection.close();
  await redis.stop();
}

await main();
