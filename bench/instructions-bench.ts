import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../test/support/ports.js';
import { childPids, children, median, ROOT } from './wrk-support.js';

/**
 * `npm run bench:instructions -- <built checkout> [<built checkout> …]`: instructions a worker
 * executes per request, counted by valgrind's callgrind, which counts the same on an idle machine
 * and on a busy one (timed benches here drift by ±25%; `perf stat` has no counters on this VM).
 *
 * For each checkout (default: this one): a gateway of one worker, started as `npm start` does,
 * except that its primary forks the worker under `valgrind --tool=callgrind` (the primary runs
 * from a small shim that points `process.execPath` at a wrapper script; nothing in src/ knows).
 * Then, per scenario, sequential keep-alive requests (concurrency 1): a warm-up, then BATCHES
 * times: zero the counters (`callgrind_control -z`), send REQUESTS requests, dump, and divide.
 * All of the worker's threads count (V8's GC helpers and compilers too); the primary, the client
 * and the fake upstream do not. A worker also does a little per second (metrics pushes, pings):
 * the idle figure (per second, after the load) shows how little.
 *
 * BENCH_IR_WARMUP (default 3000) and BENCH_IR_REQUESTS (default 1000) are per scenario;
 * BENCH_IR_BATCHES (default 3); BENCH_IR_SCENARIOS=chat,stream picks scenarios;
 * BENCH_IR_NODE_FLAGS adds node flags to the workers (e.g. `--trace-gc`, logged to BENCH_IR_DIR);
 * BENCH_IR_VALGRIND_FLAGS adds callgrind's (e.g. `--cache-sim=yes`: simulated cache misses, read
 * from the dumps with callgrind_annotate).
 * Under valgrind a worker boots in about a minute and serves ~50-100 requests/s.
 */

const WARMUP = Number(process.env.BENCH_IR_WARMUP ?? 3000);
const REQUESTS = Number(process.env.BENCH_IR_REQUESTS ?? 1000);
const BATCHES = Number(process.env.BENCH_IR_BATCHES ?? 3);
const SCENARIO_NAMES = (process.env.BENCH_IR_SCENARIOS ?? 'chat,stream').split(',');
const roots = (process.argv.length > 2 ? process.argv.slice(2) : [ROOT]).map((root) => resolve(root));

const BODIES: Record<string, object> = {
  chat: { model: 'bench-chat', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 32 },
  stream: { model: 'bench-stream', messages: [{ role: 'user', content: 'Stream please.' }], stream: true },
};

const dir = process.env.BENCH_IR_DIR ?? mkdtempSync(join(tmpdir(), 'switchyard-ir-'));
const wrapper = join(dir, 'node-under-callgrind.sh');
writeFileSync(wrapper, `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=${dir}/callgrind.%p --log-file=${dir}/valgrind.%p.log ${process.env.BENCH_IR_VALGRIND_FLAGS ?? ''} ${process.execPath} ${process.env.BENCH_IR_NODE_FLAGS ?? ''} "$@"\n`);
chmodSync(wrapper, 0o755);
// The primary, as dist/cli.js, but forking its workers through the wrapper: node:cluster forks
// with process.execPath, read at each fork.
const shim = join(dir, 'primary-shim.mjs');
writeFileSync(shim, `import { pathToFileURL } from 'node:url';\nif (process.env.BENCH_IR_WRAPPER) process.execPath = process.env.BENCH_IR_WRAPPER;\nprocess.argv.splice(1, 1);\nawait import(pathToFileURL(process.argv[1]).href);\n`);

// Ended by a signal, still take the gateways down (the 'exit' handler of wrk-support.ts kills them).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(1));

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(port: number, body: string): Promise<void> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', fail);
    req.end(body);
  });
}

async function calls(port: number, body: object, count: number): Promise<void> {
  const text = JSON.stringify(body);
  for (let i = 0; i < count; i++) await call(port, text);
}

async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/readiness`);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`gateway on ${port} not ready within ${timeoutMs / 1000} s`);
}

function startGateway(root: string, configPath: string, port: number, underValgrind: boolean): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_IR_WRAPPER: underValgrind ? wrapper : '' };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [shim, join(root, 'dist/cli.js'), '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1', '--worker_ready_timeout', '1800', '--timeout_worker_healthcheck', '1800'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.includes('"worker booted"')) console.log(`  ${line.slice(0, 300)}`);
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

interface Count {
  total: number;
  /** Optimising compiles (TurboFan, on V8's background threads): how many land in a batch varies. */
  turbofan: number;
  /** Garbage collection (scavenges, marking, sweeping), on every thread. */
  gc: number;
}

// Functions that wrap everything below them: callgrind_annotate lists them with their callees' cost.
const WRAPPERS = /libc_start|below main|node::Start\(|NodeMainInstance::Run|SpinEventLoopInternal|clone\.S|start_thread|\?\?\?:main |ld-linux/;
const TURBOFAN = /v8::internal::compiler::|OptimizedCompilationJob|TurbofanCompilationJob|maglev::/;
const GC = /Scaveng|v8::internal::Heap::|MarkCompact|Marking|Sweeper|IterateObjectCache|Evacuat|GCTracer|MemoryAllocator|heap::base::|cppgc::|RememberedSet|SlotSet|Worklist|ConcurrentMarking|PretenuringHandler/;

/** Splits a callgrind dump by function: the total, TurboFan's share, GC's share. */
function categorise(file: string): Count {
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const count: Count = { total: Number(/^totals: (\d+)/m.exec(readFileSync(file, 'utf8'))![1]), turbofan: 0, gc: 0 };
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match || match[2]!.includes('PROGRAM TOTALS') || WRAPPERS.test(match[2]!)) continue;
    const ir = Number(match[1]!.replace(/,/g, ''));
    if (TURBOFAN.test(match[2]!)) count.turbofan += ir;
    else if (GC.test(match[2]!)) count.gc += ir;
  }
  return count;
}

/** Zeroes the worker's counters, runs `work`, dumps them; returns the instructions counted. */
async function counted(pid: number, work: () => Promise<void>): Promise<Count> {
  execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
  await work();
  const before = new Set(readdirSync(dir));
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const fresh = readdirSync(dir).filter((f) => f.startsWith(`callgrind.${pid}.`) && !before.has(f));
    const file = fresh.map((f) => join(dir, f)).find((f) => statSync(f).size > 0 && /^totals: \d+/m.test(readFileSync(f, 'utf8')));
    if (file !== undefined) return categorise(file);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no callgrind dump appeared');
}

async function main(): Promise<void> {
  for (const root of roots) if (!existsSync(join(root, 'dist/cli.js'))) throw new Error(`${root} is not built (npm run build there)`);
  const upstreamProc = spawn(process.execPath, ['--import', 'tsx', 'bench/upstream-process.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(upstreamProc);
  const upstreamPort = await new Promise<number>((done) => upstreamProc.stdout!.once('data', (d: Buffer) => done((JSON.parse(d.toString()) as { port: number }).port)));
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify({
    model_list: [
      { model_name: 'bench-chat', litellm_params: { model: 'openai/bench-chat', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } },
      { model_name: 'bench-stream', litellm_params: { model: 'openai/bench-stream', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } },
    ],
    general_settings: { master_key: 'sk-bench' },
  }));
  console.log(`callgrind files in ${dir}; warm-up ${WARMUP}, ${BATCHES} batches of ${REQUESTS} requests per scenario, concurrency 1`);
  const lines = ['| build | scenario | instructions per request: total (median; batches) | without TurboFan and GC (median; batches) | GC (median) | TurboFan (median) | idle per second |', '|---|---|---|---|---:|---:|---:|'];
  for (const root of roots) {
    // A native boot first, so that a bundled build's code cache is written before the measured worker starts.
    const nativePort = await freePort();
    const native = startGateway(root, configPath, nativePort, false);
    await waitReady(nativePort, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    await stop(native);

    const port = await freePort();
    const primary = startGateway(root, configPath, port, true);
    await waitReady(port, 1_800_000);
    const pid = childPids(primary.pid!)[0]!;
    const rows: string[] = [];
    for (const name of SCENARIO_NAMES) {
      const body = BODIES[name]!;
      const started = Date.now();
      await calls(port, body, WARMUP);
      console.log(`${root} ${name}: warm-up of ${WARMUP} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
      const total: number[] = [];
      const rest: number[] = [];
      const gc: number[] = [];
      const turbofan: number[] = [];
      for (let batch = 0; batch < BATCHES; batch++) {
        const t0 = Date.now();
        const ir = await counted(pid, () => calls(port, body, REQUESTS));
        total.push(ir.total / REQUESTS);
        rest.push((ir.total - ir.gc - ir.turbofan) / REQUESTS);
        gc.push(ir.gc / REQUESTS);
        turbofan.push(ir.turbofan / REQUESTS);
        console.log(`${root} ${name}, batch ${batch + 1}: ${(ir.total / REQUESTS).toFixed(0)} instructions per request, of which GC ${(ir.gc / REQUESTS).toFixed(0)}, TurboFan ${(ir.turbofan / REQUESTS).toFixed(0)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
      const k = (v: number) => `${(v / 1000).toFixed(0)}k`;
      rows.push(`| ${root} | ${name} | ${k(median(total))} (${total.map(k).join(', ')}) | ${k(median(rest))} (${rest.map(k).join(', ')}) | ${k(median(gc))} | ${k(median(turbofan))} |`);
    }
    // What the worker does on its own (timers: metrics pushes, pings), after the load.
    const idle = await counted(pid, () => new Promise((r) => setTimeout(r, 5000)));
    lines.push(...rows.map((row) => `${row} ${(idle.total / 5 / 1000).toFixed(0)}k |`));
    await stop(primary);
  }
  console.log(['', ...lines].join('\n'));
  agent.destroy();
  for (const child of children) child.kill('SIGTERM');
}

await main();
