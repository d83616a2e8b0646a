import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../test/support/ports.js';
import { startRedis } from '../test/support/redis.js';
import { children, DURATION, ensureWrk, LOAD_CPU, pinned, PROXY_CPU, ROOT, startProcess, waitHttp, WARMUP, wrk, type Scenario, type WrkResult } from './wrk-support.js';

/**
 * `npm run bench:cache`: what a response-cache hit costs and gives. With wrk on loopback, one
 * worker each: the fake upstream answered directly, Switchyard passing through (no cache), and
 * Switchyard answering every call from its cache (memory, then a real redis-server), at
 * concurrency 1 and 32, the same body each time (so every gateway call after the first is a hit).
 * Prints a table, a hit's added latency at c=1 against the direct answer, and hit requests/s
 * against pass-through requests/s. Asserts nothing.
 */

const BODY = { model: 'bench-chat', messages: [{ role: 'user', content: 'Say something short.' }], max_tokens: 32 };
const SCENARIOS: Scenario[] = [
  { name: 'c=1', connections: 1, threads: 1, body: BODY },
  { name: 'c=32', connections: 32, threads: 2, body: BODY },
];

async function startGateway(upstream: string, litellmSettings: object): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cache-bench-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify({
    model_list: [{ model_name: 'bench-chat', litellm_params: { model: 'openai/bench-chat', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } }],
    general_settings: { master_key: 'sk-bench' },
    litellm_settings: litellmSettings,
  }));
  const proc = await startProcess(...pinned(PROXY_CPU, process.execPath, ['dist/cli.js', '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1']), false);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/health/readiness`);
  // The first call fills the cache; every measured one is then a hit.
  await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }, body: JSON.stringify(BODY) });
  return { url: `${url}/v1/chat/completions`, proc };
}

async function main(): Promise<void> {
  ensureWrk();
  const upstreamProc = spawn(...pinned(LOAD_CPU, process.execPath, ['--import', 'tsx', 'bench/upstream-process.ts']), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(upstreamProc);
  const upstreamPort = await new Promise<number>((resolve) => upstreamProc.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)));
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const redis = await startRedis();
  try {
    const targets = [
      { name: 'upstream direct', url: `${upstream}/v1/chat/completions` },
      { name: 'pass-through (no cache)', url: (await startGateway(upstream, {})).url },
      { name: 'cache hit, local', url: (await startGateway(upstream, { cache: true, cache_params: { type: 'local' } })).url },
      { name: 'cache hit, redis', url: (await startGateway(upstream, { cache: true, cache_params: { type: 'redis', url: redis.url } })).url },
    ];
    const results: Record<string, Record<string, WrkResult>> = {};
    for (const scenario of SCENARIOS) {
      results[scenario.name] = {};
      for (const target of targets) {
        wrk(target.url, scenario, WARMUP);
        results[scenario.name]![target.name] = wrk(target.url, scenario, DURATION);
      }
    }
    console.log(`\n| target | scenario | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|`);
    for (const scenario of SCENARIOS) {
      for (const target of targets) {
        const r = results[scenario.name]![target.name]!;
        console.log(`| ${target.name} | ${scenario.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.errors} |`);
      }
    }
    const c1 = results['c=1']!;
    const c32 = results['c=32']!;
    const direct = c1['upstream direct']!.p50;
    console.log('');
    for (const type of ['local', 'redis']) {
      const hit = `cache hit, ${type}`;
      console.log(`${type}: hit p50 at c=1 ${c1[hit]!.p50.toFixed(3)} ms = direct upstream ${direct.toFixed(3)} ms ${c1[hit]!.p50 >= direct ? '+' : '-'} ${Math.abs(c1[hit]!.p50 - direct).toFixed(3)} ms; pass-through adds ${(c1['pass-through (no cache)']!.p50 - direct).toFixed(3)} ms`);
      console.log(`${type}: hit req/s / pass-through req/s: c=1 ${(c1[hit]!.rps / c1['pass-through (no cache)']!.rps).toFixed(2)}x, c=32 ${(c32[hit]!.rps / c32['pass-through (no cache)']!.rps).toFixed(2)}x`);
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = 1;
});
