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
 *
 * CPU per request from /proc, per round: the gateway (primary + worker) and its worker alone, the
 * fake upstream, wrk (this process's waited-for children), and PostgreSQL's backends for this
 * database. On a CPU-bound machine requests/s follow the CPU every request costs all of them, so
 * the bench also prints the ratio that CPU predicts (off / on, everything on this machine) and the
 * same without PostgreSQL's share (the database on a host of its own, as in production).
 * BENCH_PROF=<dir>: both gateways run with --cpu-prof (profiles in <dir>/on and <dir>/off, written as they stop).
 * BENCH_SPEND_CONTROL=1: while the gateway without spend logs is measured, a process of its own
 * (bench/spend-load.ts) writes the same rows to the same database at the rate the other side
 * served in its last round, so both sides put the same database work on the machine; the ratio then
 * shows what spend logs cost inside the gateway alone (the control process's own CPU is printed).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONTROL = process.env.BENCH_SPEND_CONTROL === '1';
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

/** CPU seconds of the given processes' main threads only (JavaScript; not GC helpers, libuv's pool). */
function mainThreadCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds of this process's waited-for children (wrk runs). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
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

async function gateway(upstream: string, databaseUrl: string | undefined, nodeArgs: string[] = []): Promise<{ url: string; pids: () => number[]; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify({ model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } }] }));
  const env = { ...process.env, DATABASE_URL: databaseUrl };
  if (databaseUrl === undefined) delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...nodeArgs, 'dist/cli.js', '--config', config, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'], { cwd: ROOT, env, stdio: 'ignore' });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/health/readiness`);
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  return { url, pids: () => withChildren(child.pid!), stop };
}

async function main(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error !== undefined) throw new Error('wrk not found: apt-get install -y wrk');
  const db = await createTestDatabase();
  try {
    const upstreamProc = spawn(process.execPath, ['--import', 'tsx', 'bench/upstream-process.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(upstreamProc);
    const upstreamPort = await new Promise<number>((resolve) => upstreamProc.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)));
    const upstream = `http://127.0.0.1:${upstreamPort}`;
    const prof = process.env.BENCH_PROF;
    const on = await gateway(upstream, db.url, prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${prof}/on`]);
    const off = await gateway(upstream, undefined, prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${prof}/off`]);
    const control = CONTROL ? spawn(process.execPath, ['--import', 'tsx', 'bench/spend-load.ts', db.url], { cwd: ROOT, stdio: ['pipe', 'ignore', 'inherit'] }) : undefined;
    if (control !== undefined) children.push(control);
    let lastOnRps = wrk(`${on.url}/v1/chat/completions`, '2s').rps; // warm-up
    wrk(`${off.url}/v1/chat/completions`, '2s');
    const controlCpu: number[] = [];
    const ratios: number[] = [];
    const cpu = { on: [] as number[], off: [] as number[], postgres: [] as number[], postgresControl: [] as number[], workerOn: [] as number[], workerOff: [] as number[], mainOn: [] as number[], mainOff: [] as number[] };
    const rest = { on: [] as number[], off: [] as number[] }; // upstream + wrk, per request
    const load: string[] = [];
    /** One wrk run, with the CPU the gateway (and PostgreSQL, for the side that writes) used per request. */
    const measure = (side: 'on' | 'off'): number => {
      const g = side === 'on' ? on : off;
      const pids = g.pids();
      const workers = pids.slice(1);
      const pg = postgresBackends(db.name);
      const [before, workerBefore, pgBefore, upBefore, wrkBefore, mainBefore] = [cpuSeconds(pids), cpuSeconds(workers), cpuSeconds(pg), cpuSeconds([upstreamProc.pid!]), childrenCpuSeconds(), mainThreadCpuSeconds(workers)];
      const loading = side === 'off' && control !== undefined;
      const controlBefore = loading ? cpuSeconds([control.pid!]) : 0;
      if (loading) control.stdin!.write(`rate ${Math.round(lastOnRps)}\n`);
      const result = wrk(`${g.url}/v1/chat/completions`, DURATION);
      if (loading) control.stdin!.write('rate 0\n');
      if (side === 'on') lastOnRps = result.rps;
      const per = (seconds: number): number => (seconds * 1e6) / result.requests;
      if (loading) controlCpu.push(per(cpuSeconds([control.pid!]) - controlBefore));
      cpu[side].push(per(cpuSeconds(pids) - before));
      cpu[side === 'on' ? 'workerOn' : 'workerOff'].push(per(cpuSeconds(workers) - workerBefore));
      cpu[side === 'on' ? 'mainOn' : 'mainOff'].push(per(mainThreadCpuSeconds(workers) - mainBefore));
      rest[side].push(per(cpuSeconds([upstreamProc.pid!]) - upBefore + childrenCpuSeconds() - wrkBefore));
      if (side === 'on' || loading) (side === 'on' ? cpu.postgres : cpu.postgresControl).push(per(cpuSeconds(pg) - pgBefore));
      load.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!);
      return result.rps;
    };
    console.log(`round  spend logs on  off${CONTROL ? ' (+ control load)' : ''}      on/off`);
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
    console.log(`worker alone: on ${med(cpu.workerOn).toFixed(1)} us, off ${med(cpu.workerOff).toFixed(1)} us (off/on ${(med(cpu.workerOff) / med(cpu.workerOn)).toFixed(3)}), of which its main thread on ${med(cpu.mainOn).toFixed(1)} us, off ${med(cpu.mainOff).toFixed(1)} us; upstream + wrk: on ${med(rest.on).toFixed(1)} us, off ${med(rest.off).toFixed(1)} us`);
    const totalOff = med(cpu.off) + med(rest.off);
    const totalOn = med(cpu.on) + med(rest.on) + med(cpu.postgres);
    console.log(`CPU-predicted on/off: everything on this machine ${(totalOff / totalOn).toFixed(3)}; PostgreSQL elsewhere ${(totalOff / (totalOn - med(cpu.postgres))).toFixed(3)} (gateway + upstream + wrk: off ${totalOff.toFixed(1)} us, on ${(totalOn - med(cpu.postgres)).toFixed(1)} us + PostgreSQL ${med(cpu.postgres).toFixed(1)} us)`);
    console.log(`load average (1 min) during the rounds: ${load.join(' ')}`);
    if (control !== undefined) {
      console.log(`control (off side with the same rows written by a process of its own): its CPU ${med(controlCpu).toFixed(1)} us per request served, PostgreSQL ${med(cpu.postgresControl).toFixed(1)} us`);
      control.stdin!.end('stop\n');
      await new Promise((resolve) => control.once('exit', resolve));
    }
    ratios.sort((x, y) => x - y);
    const median = (ratios[Math.floor((ratios.length - 1) / 2)]! + ratios[Math.ceil((ratios.length - 1) / 2)]!) / 2;
    await new Promise((r) => setTimeout(r, 3_000)); // the last batch
    const [row] = await db.sql<Array<{ n: string }>>`SELECT count(*) AS n FROM "LiteLLM_SpendLogs"`;
    if (prof !== undefined) await Promise.all([on.stop(), off.stop()]); // the workers write their profiles as they exit
    console.log(`median on/off ${median.toFixed(3)} (target >= 0.95); rows written ${row!.n}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
  }
}

await main();
