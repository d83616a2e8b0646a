import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createTestDatabase } from '../test/support/postgres.js';
import { freePort } from '../test/support/ports.js';

/**
 * `npm run bench:spend`: requests/s of one worker with spend logs on (rows batched to the local
 * PostgreSQL) against the same config without a database, chat at concurrency 32 with wrk, in
 * alternating rounds; both price every call (a library-priced model), so the difference is the
 * spend rows alone. Prints each round and the median ratio (target ≥ 0.95); asserts nothing.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const DURATION = process.env.BENCH_DURATION ?? '4s';
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds of the given processes so far (from /proc). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICKS_PER_SECOND;
}

function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children];
  } catch {
    return [pid];
  }
}

/** PostgreSQL's server processes serving this database (their command line names it). */
function postgresBackends(database: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(database)) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

interface Round {
  rps: number;
  requests: number;
}

function wrk(url: string, duration: string): Round {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const script = join(dir, 'post.lua');
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 32 };
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(JSON.stringify(body))}\nwrk.headers["Content-Type"] = "application/json"\n`);
  const output = execFileSync('wrk', ['-t', '2', '-c', '32', '-d', duration, '-s', script, url], { encoding: 'utf8' });
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`${non2xx} failed requests:\n${output}`);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN), requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN) };
}

async function gateway(upstream: string, databaseUrl: string | undefined): Promise<{ url: string; pids: () => number[] }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify({ model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } }] }));
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  if (databaseUrl === undefined) delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['dist/cli.js', '--config', config, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'], { cwd: ROOT, env, stdio: 'ignore' });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/health/readiness`);
  return { url, pids: () => withChildren(child.pid!) };
}

async function main(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error !== undefined) throw new Error('wrk not found: apt-get install -y wrk');
  const db = await createTestDatabase();
  try {
    const upstreamProc = spawn(process.execPath, ['--import', 'tsx', 'bench/upstream-process.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(upstreamProc);
    const upstreamPort = await new Promise<number>((resolve) => upstreamProc.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)));
    const upstream = `http://127.0.0.1:${upstreamPort}`;
    const on = await gateway(upstream, db.url);
    const off = await gateway(upstream, undefined);
    for (const side of [on, off]) wrk(`${side.url}/v1/chat/completions`, '2s'); // warm-up
    const ratios: number[] = [];
    const cpu = { on: [] as number[], off: [] as number[], postgres: [] as number[] };
    /** One wrk run, with the CPU the gateway (and PostgreSQL, for the side that writes) used per request. */
    const measure = (side: 'on' | 'off'): number => {
      const g = side === 'on' ? on : off;
      const pids = g.pids();
      const pg = postgresBackends(db.name);
      const [before, pgBefore] = [cpuSeconds(pids), cpuSeconds(pg)];
      const result = wrk(`${g.url}/v1/chat/completions`, DURATION);
      cpu[side].push(((cpuSeconds(pids) - before) * 1e6) / result.requests);
      if (side === 'on') cpu.postgres.push(((cpuSeconds(pg) - pgBefore) * 1e6) / result.requests);
      return result.rps;
    };
    console.log('round  spend logs on  off      on/off');
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so drift on a shared machine falls on both alike.
      const first = round % 2 === 0;
      const a = measure(first ? 'on' : 'off');
      const b = measure(first ? 'off' : 'on');
      const [rpsOn, rpsOff] = first ? [a, b] : [b, a];
      ratios.push(rpsOn / rpsOff);
      console.log(`${String(round + 1).padEnd(7)}${rpsOn.toFixed(0).padEnd(15)}${rpsOff.toFixed(0).padEnd(9)}${(rpsOn / rpsOff).toFixed(3)}`);
    }
    const med = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    console.log(`CPU per request (median): gateway with spend logs ${med(cpu.on).toFixed(1)} us, without ${med(cpu.off).toFixed(1)} us; PostgreSQL's backends ${med(cpu.postgres).toFixed(1)} us per row`);
    ratios.sort((x, y) => x - y);
    const median = (ratios[Math.floor((ratios.length - 1) / 2)]! + ratios[Math.ceil((ratios.length - 1) / 2)]!) / 2;
    await new Promise((r) => setTimeout(r, 3_000)); // the last batch
    const [row] = await db.sql<Array<{ n: string }>>`SELECT count(*) AS n FROM "LiteLLM_SpendLogs"`;
    console.log(`median on/off ${median.toFixed(3)} (target >= 0.95); rows written ${row!.n}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
  }
}

await main();
