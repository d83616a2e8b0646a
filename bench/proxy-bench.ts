import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KeyCache, resolveModel, type Caller } from '../src/keys/index.js';
import { WorkerMetrics } from '../src/metrics/index.js';
import { KeyCheck } from '../src/server/auth.js';
import { freePort } from '../test/support/ports.js';
import { createTestDatabase } from '../test/support/postgres.js';

/**
 * `npm run bench`: requests/s and latency of (a) the fake upstream alone, (b) a bare node:http +
 * undici pass-through proxy (the floor), (c) Switchyard with one worker, all on loopback with wrk;
 * then Switchyard with metrics on against the same with --disable_metrics, in alternating rounds
 * (a 2-core machine drifts more between runs than metrics cost), and the recorder's own cost per
 * request in process; then calls with a virtual key against calls with the master key on one
 * gateway with a database (alternating rounds). Prints a table and the ratios the gateway core,
 * metrics and virtual-key issues target; asserts nothing. BENCH_ONLY=keys runs the virtual-key
 * comparison alone.
 */

import { childPids, children, DURATION, ensureWrk, LOAD_CPU, median, medianResult, pinned, PIN, PROXY_CPU, ROOT, rssOfWorkers, SCENARIOS, startProcess, waitHttp, WARMUP, wrk, type Scenario, type WrkResult } from './wrk-support.js';

async function main(): Promise<void> {
  ensureWrk();
  console.log(PIN ? `pinned: wrk and the fake upstream on CPU ${LOAD_CPU}, the proxy under test on CPU ${PROXY_CPU}` : 'not pinned (BENCH_PIN=1 pins the load and the proxy to separate cores)');
  const upstreamProc = spawn(...pinned(LOAD_CPU, process.execPath, ['--import', 'tsx', 'bench/upstream-process.ts']), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(upstreamProc);
  const upstreamPort = await new Promise<number>((resolve) => upstreamProc.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)));
  const upstream = `http://127.0.0.1:${upstreamPort}`;

  if (process.env.BENCH_ONLY === 'keys') {
    const keys = await virtualVsMaster(upstream);
    console.log(keysLine(keys));
    for (const child of children) child.kill('SIGTERM');
    return;
  }

  const barePort = await freePort();
  const bare = await startProcess(...pinned(PROXY_CPU, process.execPath, ['--import', 'tsx', 'bench/bare-proxy.ts', upstream, String(barePort)]), true);

  const gatewayPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify({
    model_list: [
      { model_name: 'bench-chat', litellm_params: { model: 'openai/bench-chat', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } },
      { model_name: 'bench-stream', litellm_params: { model: 'openai/bench-stream', api_base: `${upstream}/v1`, api_key: 'sk-upstream' } },
      { model_name: 'bench-claude', litellm_params: { model: 'anthropic/bench-claude', api_base: upstream, api_key: 'sk-upstream' } },
    ],
    general_settings: { master_key: 'sk-bench' },
  }));
  const gateway = await startProcess(...pinned(PROXY_CPU, process.execPath, ['dist/cli.js', '--config', configPath, '--host', '127.0.0.1', '--port', String(gatewayPort), '--num_workers', '1']), false);
  await waitHttp(`http://127.0.0.1:${gatewayPort}/health/readiness`);

  const targets = [
    { name: 'upstream direct', url: `${upstream}/v1/chat/completions`, pids: () => [upstreamProc.pid!] },
    { name: 'bare proxy', url: `http://127.0.0.1:${barePort}/v1/chat/completions`, pids: () => [bare.pid!] },
    // The primary and its workers.
    { name: 'switchyard', url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`, pids: () => [gateway.pid!, ...childPids(gateway.pid!)] },
  ];

  // Rounds in a rotating order: each ratio is taken within a round (the two sides a few seconds
  // apart) and the median over rounds is reported, so that drift on a shared machine falls on
  // both sides alike instead of on whichever ran last.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const results: Record<string, Record<string, WrkResult>> = {};
  const perRound: Record<string, Array<Record<string, WrkResult>>> = {};
  for (const scenario of SCENARIOS) {
    perRound[scenario.name] = [];
    for (let round = 0; round < rounds; round++) {
      const byTarget: Record<string, WrkResult> = {};
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        wrk(target.url, scenario, WARMUP);
        byTarget[target.name] = wrk(target.url, scenario, DURATION, target.pids);
      }
      perRound[scenario.name]!.push(byTarget);
      console.log(`${scenario.name} round ${round + 1}: ${targets.map((t) => `${t.name} ${byTarget[t.name]!.rps.toFixed(0)} req/s p50 ${byTarget[t.name]!.p50.toFixed(2)} ms`).join(' | ')}`);
    }
    results[scenario.name] = Object.fromEntries(targets.map((t) => [t.name, medianResult(perRound[scenario.name]!.map((r) => r[t.name]!))]));
  }
  const translated = await translationRows(upstream, gatewayPort, rounds);
  const rss = rssOfWorkers(gateway.pid!);
  const metricsCost = await metricsOnOff(configPath);
  const keys = await virtualVsMaster(upstream);

  const lines = ['', '| scenario | target | req/s | p50 ms | p99 ms | errors | CPU µs / request |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const [scenario, byTarget] of Object.entries(results)) {
    for (const [target, r] of Object.entries(byTarget)) lines.push(`| ${scenario} | ${target} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.cpuUs?.toFixed(0) ?? ''} |`);
  }
  const c1 = results[SCENARIOS[0]!.name]!;
  const added = (r: Record<string, WrkResult>, name: string) => r[name]!.p50 - r['upstream direct']!.p50;
  const rpsRatio = (scenario: Scenario) => median(perRound[scenario.name]!.map((r) => r.switchyard!.rps / r['bare proxy']!.rps));
  const ratios = {
    'switchyard / bare req/s, chat c32': rpsRatio(SCENARIOS[1]!),
    'switchyard / bare req/s, stream c32': rpsRatio(SCENARIOS[2]!),
    'switchyard / bare req/s, chat c1': rpsRatio(SCENARIOS[0]!),
    'added p50 at c1, switchyard / bare': median(perRound[SCENARIOS[0]!.name]!.map((r) => added(r, 'switchyard') / added(r, 'bare proxy'))),
  };
  lines.push('', `Medians over ${rounds} rounds; ratios are taken within each round.`, '', '| ratio | value | target |', '|---|---:|---|');
  lines.push(`| switchyard / bare req/s, chat c32 | ${ratios['switchyard / bare req/s, chat c32'].toFixed(2)} | ≥ 0.60 |`);
  lines.push(`| switchyard / bare req/s, stream c32 | ${ratios['switchyard / bare req/s, stream c32'].toFixed(2)} | ≥ 0.60 |`);
  lines.push(`| switchyard / bare req/s, chat c1 | ${ratios['switchyard / bare req/s, chat c1'].toFixed(2)} | ≥ 0.60 |`);
  for (const scenario of SCENARIOS) {
    const cpuRatio = median(perRound[scenario.name]!.map((r) => r.switchyard!.cpuUs! / r['bare proxy']!.cpuUs!));
    lines.push(`| CPU per request, switchyard (primary + worker) / bare, ${scenario.name} | ${cpuRatio.toFixed(2)} | (≤ 1.67 would match 0.60 when CPU-bound) |`);
  }
  lines.push(`| added p50 latency at c1, switchyard / bare (${added(c1, 'switchyard').toFixed(3)} ms / ${added(c1, 'bare proxy').toFixed(3)} ms) | ${ratios['added p50 at c1, switchyard / bare'].toFixed(2)} | ≤ 1.5 |`);
  for (const row of translated) lines.push(`| ${row.label} | ${row.ratio.toFixed(2)} (${row.rps.toFixed(0)} vs ${row.baseRps.toFixed(0)} req/s) | |`);
  lines.push(`| metrics on / off req/s, chat c32 (median of ${metricsCost.ratios.length} alternating rounds: ${metricsCost.ratios.map((r) => r.toFixed(3)).join(', ')}) | ${metricsCost.median.toFixed(3)} | ≥ 0.97 |`);
  lines.push(`| metrics on / off CPU per request, chat c32 (same rounds: ${metricsCost.cpuRatios.map((r) => r.toFixed(3)).join(', ')}) | ${metricsCost.cpuMedian.toFixed(3)} | ≤ 1.03 |`);
  lines.push(`| metrics recorder, in process, per request (record + router events + push share) | ${metricsCost.recorderUs.toFixed(2)} µs | |`);
  lines.push(keysLine(keys));
  lines.push(`| worker RSS after the run | ${rss.map((mb) => mb.toFixed(0)).join(', ')} MB | ≤ 120 MB |`);
  console.log(lines.join('\n'));

  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `proxy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ results, perRound, ratios, translated, rssMb: rss, metricsCost, keys }, null, 2));
  for (const child of children) child.kill('SIGTERM');
}

/**
 * Streaming through the translation path against the pass-through stream, on the same gateway:
 * OpenAI client → anthropic/ deployment (Anthropic SSE → OpenAI chunks), Anthropic client →
 * openai/ deployment (OpenAI chunks → Anthropic SSE), the Responses API → anthropic/ (two steps,
 * and the store) and → openai/ (native), 20 content deltas each, concurrency 32.
 */
async function translationRows(upstream: string, gatewayPort: number, rounds: number): Promise<Array<{ label: string; rps: number; baseRps: number; ratio: number }>> {
  const base = `http://127.0.0.1:${gatewayPort}`;
  const passThrough = SCENARIOS[2]!;
  const cases = [
    { label: 'streaming through translation: OpenAI client → anthropic/ deployment, vs pass-through', url: `${base}/v1/chat/completions`, body: { model: 'bench-claude', messages: [{ role: 'user', content: 'Stream please.' }], stream: true, max_tokens: 64 } },
    { label: 'streaming through translation: /v1/messages → openai/ deployment, vs pass-through', url: `${base}/v1/messages`, body: { model: 'bench-stream', max_tokens: 64, messages: [{ role: 'user', content: 'Stream please.' }], stream: true } },
    // The Responses API to Claude: Anthropic SSE → chat chunks → Responses events, and the answer
    // stored (store defaults to true) before its last event goes out.
    { label: 'Responses stream through translation: /v1/responses → anthropic/ deployment (stored), vs chat pass-through', url: `${base}/v1/responses`, body: { model: 'bench-claude', input: 'Stream please.', stream: true, max_output_tokens: 64 } },
    // The same to an openai/ deployment: forwarded natively (its events are larger than chat chunks).
    { label: 'Responses stream, native: /v1/responses → openai/ deployment, vs chat pass-through', url: `${base}/v1/responses`, body: { model: 'bench-stream', input: 'Stream please.', stream: true, max_output_tokens: 64 } },
  ];
  void upstream;
  const rows = [];
  for (const c of cases) {
    const scenario: Scenario = { name: c.label, connections: 32, threads: 2, body: c.body };
    const ratios: number[] = [];
    const rps: number[] = [];
    const baseRps: number[] = [];
    for (let round = 0; round < rounds; round++) {
      wrk(c.url, scenario, WARMUP);
      const translatedRun = wrk(c.url, scenario, DURATION);
      const plain = wrk(`${base}/v1/chat/completions`, passThrough, DURATION);
      if (translatedRun.errors > 0) console.log(`${c.label}: ${translatedRun.errors} errors`);
      ratios.push(translatedRun.rps / plain.rps);
      rps.push(translatedRun.rps);
      baseRps.push(plain.rps);
    }
    rows.push({ label: c.label, rps: median(rps), baseRps: median(baseRps), ratio: median(ratios) });
    console.log(`${c.label}: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  }
  return rows;
}

/**
 * Metrics on vs off: a second gateway with --disable_metrics, then rounds of wrk against each in
 * turn (the order alternating), so that drift on a busy machine falls on both sides alike.
 */
async function metricsOnOff(configPath: string): Promise<{ ratios: number[]; median: number; cpuRatios: number[]; cpuMedian: number; recorderUs: number }> {
  // Two fresh gateways that serve only this scenario: the one that ran the whole bench has seen
  // streams and translations, and code that has seen more shapes runs slower, whatever metrics do.
  const start = async (extra: string[]) => {
    const port = await freePort();
    const child = await startProcess(...pinned(PROXY_CPU, process.execPath, ['dist/cli.js', '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1', ...extra]), false);
    await waitHttp(`http://127.0.0.1:${port}/health/readiness`);
    const pids = () => [child.pid!, ...childPids(child.pid!)];
    return { child, url: `http://127.0.0.1:${port}/v1/chat/completions`, pids };
  };
  const [on, off] = [await start([]), await start(['--disable_metrics'])];
  const [onUrl, offUrl] = [on.url, off.url];
  const scenario = SCENARIOS[1]!;
  const rounds = Number(process.env.BENCH_METRICS_ROUNDS ?? 8);
  const round = process.env.BENCH_METRICS_ROUND ?? '4s';
  wrk(onUrl, scenario, WARMUP);
  wrk(offUrl, scenario, WARMUP);
  const ratios: number[] = [];
  // CPU per request (primary + worker) too: req/s rounds here are a contest for two shared cores
  // (a round of one binary against itself ranges ±20%); CPU per request is the steadier figure.
  const cpuRatios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [on, off] : [off, on];
    const [first, second] = order.map((g) => wrk(g.url, scenario, round, g.pids)) as [WrkResult, WrkResult];
    const [onRun, offRun] = i % 2 === 0 ? [first, second] : [second, first];
    ratios.push(onRun.rps / offRun.rps);
    cpuRatios.push(onRun.cpuUs! / offRun.cpuUs!);
    console.log(`metrics on / off, round ${i + 1}: ${onRun.rps.toFixed(0)} / ${offRun.rps.toFixed(0)} req/s = ${(onRun.rps / offRun.rps).toFixed(3)}; CPU ${onRun.cpuUs!.toFixed(0)} / ${offRun.cpuUs!.toFixed(0)} µs per request`);
  }
  on.child.kill('SIGTERM');
  off.child.kill('SIGTERM');
  return { ratios, median: median(ratios), cpuRatios, cpuMedian: median(cpuRatios), recorderUs: recorderCostUs() };
}

interface KeysComparison {
  ratios: number[]; median: number; cpuRatios: number[]; cpuMedian: number; virtualRps: number; masterRps: number; authUs: { master: number; virtual: number };
  /** The same with a second virtual key that has no limits (no admission, no settlement). */
  plainRatios: number[]; plainMedian: number; plainCpuRatios: number[]; plainCpuMedian: number;
}

function keysLine(keys: KeysComparison): string {
  return `| virtual key / master key req/s, chat c32, one gateway with a database (median of ${keys.ratios.length} alternating rounds: ${keys.ratios.map((r) => r.toFixed(3)).join(', ')}; ${keys.virtualRps.toFixed(0)} vs ${keys.masterRps.toFixed(0)} req/s) | ${keys.median.toFixed(3)} | ≥ 0.95 |\n`
    + `| virtual key / master key CPU per request, chat c32 (same rounds: ${keys.cpuRatios.map((r) => r.toFixed(3)).join(', ')}) | ${keys.cpuMedian.toFixed(3)} | |\n`
    + `| virtual key without limits / master key req/s, same rounds (${keys.plainRatios.map((r) => r.toFixed(3)).join(', ')}) | ${keys.plainMedian.toFixed(3)} | ≥ 0.95 |\n`
    + `| virtual key without limits / master key CPU per request (${keys.plainCpuRatios.map((r) => r.toFixed(3)).join(', ')}) | ${keys.plainCpuMedian.toFixed(3)} | |\n`
    + `| key check in process, per request on a keep-alive connection: master key / virtual key (cached, model checked) | ${keys.authUs.master.toFixed(2)} / ${keys.authUs.virtual.toFixed(2)} µs | |`;
}

/**
 * A virtual key against the master key on the same gateway (one worker, a database of its own on
 * the machine's PostgreSQL, so both sides write spend rows): rounds of wrk with each key in turn,
 * the order alternating. The virtual key is read from PostgreSQL once, then from the worker's
 * cache; its calls also carry the key, team and user into the spend rows and the key metrics.
 */
async function virtualVsMaster(upstream: string): Promise<KeysComparison> {
  const db = await createTestDatabase();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-keys-'));
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, stringify({
      // Priced (as gpt-4o-mini), so that the budgeted key's calls reserve and settle real money.
      model_list: [{ model_name: 'bench-chat', litellm_params: { model: 'openai/bench-chat', api_base: `${upstream}/v1`, api_key: 'sk-upstream', input_cost_per_token: 0.00000015, output_cost_per_token: 0.0000006 } }],
      general_settings: { master_key: 'sk-bench', database_url: db.url },
    }));
    const port = await freePort();
    const child = await startProcess(...pinned(PROXY_CPU, process.execPath, ['dist/cli.js', '--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1']), false);
    await waitHttp(`http://127.0.0.1:${port}/health/readiness`);
    const base = `http://127.0.0.1:${port}`;
    const post = async (path: string, body: object) => (await (await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as Record<string, string>;
    const team = await post('/team/new', { team_alias: 'bench-team', models: ['bench-chat'] });
    const made = await post('/key/generate', { key_alias: 'bench-key', team_id: team.team_id!, models: ['bench-chat'], max_budget: 1_000_000 });
    const virtualKey = made.key!;
    // Since limits landed, the budgeted key's calls are admitted and settled (without Redis, by the
    // primary over IPC); a key without limits shows the key path alone.
    const plainKey = (await post('/key/generate', { key_alias: 'bench-plain', team_id: team.team_id!, models: ['bench-chat'] })).key!;
    const url = `${base}/v1/chat/completions`;
    const pids = () => [child.pid!, ...childPids(child.pid!)];
    const scenario = SCENARIOS[1]!;
    const rounds = Number(process.env.BENCH_KEYS_ROUNDS ?? 8);
    const round = process.env.BENCH_KEYS_ROUND ?? '4s';
    wrk(url, scenario, WARMUP, undefined, virtualKey);
    wrk(url, scenario, WARMUP, undefined, plainKey);
    wrk(url, scenario, WARMUP);
    const plainRatios: number[] = [];
    const plainCpuRatios: number[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const virtualRps: number[] = [];
    const masterRps: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Three sides, each first in turn.
      const sides = { virtual: () => wrk(url, scenario, round, pids, virtualKey), plain: () => wrk(url, scenario, round, pids, plainKey), master: () => wrk(url, scenario, round, pids) };
      const order = (['virtual', 'plain', 'master'] as const).map((_, k, all) => all[(k + i) % 3]!);
      const done: Partial<Record<keyof typeof sides, ReturnType<typeof wrk>>> = {};
      for (const side of order) done[side] = sides[side]();
      const runs = { virtual: done.virtual!, master: done.master!, plain: done.plain! };
      plainRatios.push(runs.plain.rps / runs.master.rps);
      plainCpuRatios.push(runs.plain.cpuUs! / runs.master.cpuUs!);
      if (runs.virtual.errors > 0 || runs.master.errors > 0) console.log(`keys round ${i + 1}: errors virtual ${runs.virtual.errors}, master ${runs.master.errors}`);
      ratios.push(runs.virtual.rps / runs.master.rps);
      cpuRatios.push(runs.virtual.cpuUs! / runs.master.cpuUs!);
      virtualRps.push(runs.virtual.rps);
      masterRps.push(runs.master.rps);
      console.log(`virtual (budget) / plain virtual / master key, round ${i + 1}: ${runs.virtual.rps.toFixed(0)} / ${runs.plain.rps.toFixed(0)} / ${runs.master.rps.toFixed(0)} req/s = ${(runs.virtual.rps / runs.master.rps).toFixed(3)}, ${(runs.plain.rps / runs.master.rps).toFixed(3)}; CPU ${runs.virtual.cpuUs!.toFixed(0)} / ${runs.plain.cpuUs!.toFixed(0)} / ${runs.master.cpuUs!.toFixed(0)} µs per request`);
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    return {
      ratios, median: median(ratios), cpuRatios, cpuMedian: median(cpuRatios), virtualRps: median(virtualRps), masterRps: median(masterRps), authUs: await authCostUs(),
      plainRatios, plainMedian: median(plainRatios), plainCpuRatios, plainCpuMedian: median(plainCpuRatios),
    };
  } finally {
    await db.drop();
  }
}

/**
 * The key check alone, in this process: the master key on a connection that proved it, against a
 * virtual key on a connection that presented it (its hash remembered) read from the worker's cache
 * and its model checked. Steadier than req/s on a shared machine.
 */
async function authCostUs(): Promise<{ master: number; virtual: number }> {
  const check = new KeyCheck('sk-bench');
  const virtualKey = 'sk-benchVirtualKey0000000';
  const caller: Caller = {
    tokenHash: '', keyAlias: 'bench-key', keyName: null, teamId: 't', teamAlias: 'bench-team', userId: null, models: ['bench-chat'], teamModels: ['bench-chat'],
    aliases: {}, scopes: [], modelScopes: new Map(), admin: false, expiresAt: null, blocked: false, teamBlocked: false,
  };
  const cache = new KeyCache({ load: async () => caller, ttlMs: 60_000, negativeTtlMs: 5_000, maxEntries: 10, maxNegativeEntries: 10, maxConcurrentLoads: 2, maxQueuedLoads: 10 });
  const [masterConnection, virtualConnection] = [{}, {}];
  const masterHeaders = { authorization: 'Bearer sk-bench' };
  const virtualHeaders = { authorization: `Bearer ${virtualKey}` };
  await cache.lookup(check.otherThanMaster(virtualHeaders, virtualConnection)!.tokenHash);
  const time = (n: number, one: () => void) => {
    const started = performance.now();
    for (let i = 0; i < n; i++) one();
    return ((performance.now() - started) * 1000) / n;
  };
  const master = () => void check.otherThanMaster(masterHeaders, masterConnection);
  const virtual = () => {
    const presented = check.otherThanMaster(virtualHeaders, virtualConnection)!;
    resolveModel(cache.lookup(presented.tokenHash) as Caller, 'bench-chat');
  };
  time(200_000, master);
  time(200_000, virtual);
  return { master: time(1_000_000, master), virtual: time(1_000_000, virtual) };
}

/** The recorder's hot-path work for one proxied request, measured in this process (µs). */
function recorderCostUs(): number {
  const metrics = new WorkerMetrics({ channel: { send: () => undefined }, modelGroups: ['bench-chat'] });
  const deployment = { id: 'bench-deployment', modelName: 'bench-chat' };
  const ctx = { startedAt: 0, modelGroup: 'bench-chat', stream: false, deployment, overheadMs: 0.2, usage: { input: 12, output: 20, cacheRead: 0, cacheWrite: 0 }, cost: { usd: 0.0001 } };
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      metrics.requestStarted();
      metrics.routerObserver.onAttempt({ modelGroup: 'bench-chat', deployment, ok: true, durationMs: 1 });
      ctx.startedAt = performance.now() - 1;
      metrics.requestEnded(ctx, 200, '/v1/chat/completions');
      if (i % 1000 === 0) metrics.push(); // a push a second at ~1000 req/s
    }
  };
  run(200_000); // warm up
  const n = 1_000_000;
  const started = performance.now();
  run(n);
  return ((performance.now() - started) * 1000) / n;
}

await main();
