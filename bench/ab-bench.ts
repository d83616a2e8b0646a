import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../test/support/ports.js';
import { childPids, children, ensureWrk, LOAD_CPU, median, pinned, PROXY_CPU, ROOT, rssOfWorkers, SCENARIOS, startProcess, waitHttp, WARMUP, wrk, type WrkResult } from './wrk-support.js';

/**
 * `npm run bench:ab -- <other checkout>`: this build (A) against another build (B) of Switchyard,
 * both a gateway of one worker on the same fake upstream, in alternating rounds (A then B, then B
 * then A) per scenario of the proxy bench. Prints, per scenario, the median over rounds of A/B
 * requests/s and A/B CPU per request (primary + worker), and each worker's RSS at the end. The
 * other checkout must have been built (`npm run build` there). Used to check that a change does
 * not regress the proxy path on a machine too noisy for absolute figures: both sides share the
 * noise, round by round.
 */

const other = process.argv[2] ?? process.env.BENCH_B_ROOT;
/**
 * BENCH_B_UNBUNDLED=1: side B's workers run unbundled (the test hook SWITCHYARD_TEST_UNBUNDLED),
 * so `npm run bench:ab -- .` sets this build's bundled worker against the same code loaded module
 * by module, as before issue 13's bundle.
 */
const B_ENV: NodeJS.ProcessEnv = process.env.BENCH_B_UNBUNDLED === '1' ? { ...process.env, SWITCHYARD_TEST_HOOKS: '1', SWITCHYARD_TEST_UNBUNDLED: '1' } : process.env;
if (!other || !existsSync(join(other, 'dist/cli.js'))) {
  console.error('usage: npm run bench:ab -- <path of another checkout, built with npm run build>');
  process.exit(2);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ROUND = process.env.BENCH_DURATION ?? '5s';

async function main(): Promise<void> {
  ensureWrk();
  const upstreamProc = spawn(...pinned(LOAD_CPU, process.execPath, ['--import', 'tsx', 'bench/upstream-process.ts']), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(upstreamProc);
  const upstreamPort = await new Promise<number>((done) => upstreamProc.stdout!.once('data', (d: Buffer) => done((JSON.parse(d.toString()) as { port: number }).port)));
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const configPath = join(mkdtempSync(join(tmpdir(), 'switchyard-ab-')), 'config.yaml');
  writeFileSync(configPath, stringify({
    model_list: [
      { model_name: 'bench-chat', litellm_params: { model: 'openai/bench-chat', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } },
      { model_name: 'bench-stream', litellm_params: { model: 'openai/bench-stream', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } },
    ],
    general_settings: { master_key: 'sk-bench' },
  }));
  const start = async (root: string, env: NodeJS.ProcessEnv = process.env) => {
    const port = await freePort();
    const child = await startProcess(...pinned(PROXY_CPU, process.execPath, [join(root, 'dist/cli.js'), '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1']), false, env);
    await waitHttp(`http://127.0.0.1:${port}/health/readiness`);
    return { child, url: `http://127.0.0.1:${port}/v1/chat/completions`, pids: () => [child.pid!, ...childPids(child.pid!)] };
  };
  const a = await start(process.env.BENCH_A_ROOT ?? ROOT);
  const b = await start(resolve(other!), B_ENV);
  console.log(`A = ${ROOT}, B = ${resolve(other!)}; ${ROUNDS} alternating rounds of ${ROUND} per scenario`);
  const lines: string[] = ['| scenario | A/B req/s (median; rounds) | A/B CPU per request (median; rounds) | A req/s | B req/s |', '|---|---|---|---:|---:|'];
  // BENCH_SCENARIOS=1,3 runs only those scenarios (1-based, in the proxy bench's order).
  const only = process.env.BENCH_SCENARIOS?.split(',').map(Number);
  for (const scenario of SCENARIOS.filter((_, i) => only === undefined || only.includes(i + 1))) {
    wrk(a.url, scenario, WARMUP);
    wrk(b.url, scenario, WARMUP);
    const rps: number[] = [];
    const cpu: number[] = [];
    const aRps: number[] = [];
    const bRps: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? [a, b] : [b, a];
      const [first, second] = order.map((g) => wrk(g.url, scenario, ROUND, g.pids)) as [WrkResult, WrkResult];
      const [ra, rb] = i % 2 === 0 ? [first, second] : [second, first];
      rps.push(ra.rps / rb.rps);
      cpu.push(ra.cpuUs! / rb.cpuUs!);
      aRps.push(ra.rps);
      bRps.push(rb.rps);
      console.log(`${scenario.name}, round ${i + 1}: A ${ra.rps.toFixed(0)} / B ${rb.rps.toFixed(0)} req/s; CPU ${ra.cpuUs!.toFixed(0)} / ${rb.cpuUs!.toFixed(0)} µs per request; errors ${ra.errors}/${rb.errors}`);
    }
    const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');
    lines.push(`| ${scenario.name} | ${median(rps).toFixed(2)} (${list(rps)}) | ${median(cpu).toFixed(2)} (${list(cpu)}) | ${median(aRps).toFixed(0)} | ${median(bRps).toFixed(0)} |`);
  }
  lines.push('', `worker RSS at the end: A ${rssOfWorkers(a.child.pid!).map((v) => v.toFixed(0)).join(', ')} MB, B ${rssOfWorkers(b.child.pid!).map((v) => v.toFixed(0)).join(', ')} MB`);
  console.log(['', ...lines].join('\n'));
  for (const child of children) child.kill('SIGTERM');
}

await main();
