import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the proxy benches share: wrk runs, process start-up, CPU and memory readings. */

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * BENCH_PIN=1 (needs two or more cores and `taskset`): the load side (wrk and the fake upstream)
 * runs on CPU 0 and the proxy under test (bare, or Switchyard's primary and workers) on CPU 1.
 * Tried as the default: it did not make rounds steadier on this machine (the bare proxy's stream
 * rounds still ranged 5,100-8,800 req/s) and it puts the primary on the worker's core, so it
 * stays an option for A/B comparisons.
 */
export const PIN = process.env.BENCH_PIN === '1' && availableParallelism() >= 2 && spawnSync('taskset', ['-V']).error === undefined;
/** [command, args] for a process pinned to `cpu` (or not pinned). */
export function pinned(cpu: number, command: string, args: string[]): [string, string[]] {
  return PIN ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}
export const LOAD_CPU = 0;
export const PROXY_CPU = 1;
export const DURATION = process.env.BENCH_DURATION ?? '8s';
export const WARMUP = process.env.BENCH_WARMUP ?? '2s';

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time the measured processes spent per request (user + system), when pids were given. */
  cpuUs?: number;
}

export interface Scenario {
  name: string;
  connections: number;
  threads: number;
  body: object;
}

export const SCENARIOS: Scenario[] = [
  { name: 'chat, concurrency 1', connections: 1, threads: 1, body: { model: 'bench-chat', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 32 } },
  { name: 'chat, concurrency 32', connections: 32, threads: 2, body: { model: 'bench-chat', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 32 } },
  { name: 'stream 20 chunks, concurrency 32', connections: 32, threads: 2, body: { model: 'bench-stream', messages: [{ role: 'user', content: 'Stream please.' }], stream: true } },
];

export const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.log('wrk not found; installing the Debian package');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const result = spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'wrk'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('could not install wrk; install it with: apt-get install -y wrk');
}

export async function startProcess(command: string, args: string[], readyLine: boolean, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', readyLine ? 'pipe' : 'ignore', 'inherit'] });
  children.push(child);
  if (readyLine) {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    });
    child.stdout!.resume();
  }
  return child;
}

export async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** User + system CPU ticks of the given processes so far (from /proc). */
export function cpuTicks(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // gone or no /proc
    }
  }
  return ticks;
}
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * One wrk run. With `pids`, also the CPU those processes used per request: unlike requests/s,
 * that figure barely depends on how much of the shared cores the process got.
 */
export function wrk(url: string, scenario: Scenario, duration: string, pids?: () => number[], key = 'sk-bench'): WrkResult {
  const measured = pids?.() ?? [];
  const before = cpuTicks(measured);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const script = join(dir, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(JSON.stringify(scenario.body))}\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n`);
  const output = execFileSync(...pinned(LOAD_CPU, 'wrk', ['-t', String(scenario.threads), '-c', String(scenario.connections), '-d', duration, '--latency', '-s', script, url]), { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const percentile = (p: string) => toMs(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(output));
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((s, v) => s + Number(v), 0) : 0);
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const cpuUs = measured.length > 0 ? ((cpuTicks(measured) - before) * 1e6) / TICKS_PER_SECOND / requests : undefined;
  return { rps, p50: percentile('50'), p99: percentile('99'), errors, cpuUs };
}

function toMs(match: RegExpExecArray | null): number {
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

/** Resident memory of the process's children (the workers), or of the process itself. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // no /proc
  }
}

export function rssOfWorkers(pid: number): number[] {
  const kids = childPids(pid);
  return (kids.length > 0 ? kids : [pid]).map((p) => {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function medianResult(results: WrkResult[]): WrkResult {
  return {
    rps: median(results.map((r) => r.rps)),
    cpuUs: median(results.map((r) => r.cpuUs ?? NaN)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  };
}

