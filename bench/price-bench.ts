import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { calcPrice, findProvider, type Provider } from '@pydantic/genai-prices';
import type { CallUsage } from '../src/cost/index.js';
import { priceTable } from '../src/cost/primary.js';
import { tableCost } from '../src/cost/price-table.js';
import { childEnv, writeTempConfig } from '../test/support/gateway.js';
import { freePort } from '../test/support/ports.js';

/**
 * `npm run bench:prices`: (1) per call, the price library's calcPrice on the one-model provider
 * a deployment used to get, against the plain price table a worker now computes with (the same
 * result: test/unit/cost.test.ts); (2) a worker's resident memory on the demo config after 200
 * requests, for this build and, with BENCH_BASELINE_CLI=<path to another build's dist/cli.js>,
 * for that one, in alternating rounds.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLS = 200_000;

function perCall(): void {
  const cases: Array<[string, string, CallUsage]> = [
    ['openai', 'gpt-4o', { input: 1_234, output: 321, cacheRead: 1_024, cacheWrite: 0 }],
    ['anthropic', 'claude-sonnet-4-5', { input: 3_734, output: 321, cacheRead: 2_000, cacheWrite: 500 }],
    ['openai', 'gpt-5.4', { input: 300_000, output: 4_000, cacheRead: 100_000, cacheWrite: 0 }],
  ];
  for (const [providerId, modelId, usage] of cases) {
    const provider = findProvider({ providerId })!;
    const model = provider.models.find((m) => m.id === modelId)!;
    const alone: Provider = { ...provider, models: [model] };
    const table = priceTable(`${providerId}:${modelId}`, model);
    const libraryUsage: Record<string, number> = { input_tokens: usage.input, output_tokens: usage.output };
    if (usage.cacheRead > 0) libraryUsage.cache_read_tokens = usage.cacheRead;
    if (usage.cacheWrite > 0) libraryUsage.cache_write_tokens = usage.cacheWrite;
    const lib: number[] = [];
    const plain: number[] = [];
    let sink = 0;
    for (let round = 0; round < ROUNDS + 1; round++) {
      let t = performance.now();
      for (let i = 0; i < CALLS / 10; i++) sink += calcPrice(libraryUsage, modelId, { provider: alone })!.total_price;
      lib.push((performance.now() - t) * 1000 / (CALLS / 10));
      t = performance.now();
      for (let i = 0; i < CALLS; i++) sink += tableCost(table, usage, Date.now())!;
      plain.push((performance.now() - t) * 1000 / CALLS);
    }
    lib.shift();
    plain.shift();
    console.log(`${providerId}:${modelId}: library calcPrice ${median(lib).toFixed(2)} µs/call, plain table ${median(plain).toFixed(3)} µs/call (${sink > 0 ? 'ok' : '?'})`);
  }
}

async function workerRss(cli: string): Promise<number> {
  const port = await freePort();
  const config = writeTempConfig({ model_list: [{ model_name: 'demo', litellm_params: { model: 'openai/demo', mock_response: 'hi' } }] });
  const child = spawn(process.execPath, [cli, '--config', config, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'], {
    env: childEnv({ SWITCHYARD_TEST_HOOKS: '1' }), stdio: 'ignore',
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${url}/health/readiness`)).status === 200) break;
      } catch { /* not yet */ }
      await sleep(50);
    }
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }) });
      await r.text();
    }
    const { pid } = await (await fetch(`${url}/__test/whoami`)).json() as { pid: number };
    await sleep(2_000);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

perCall();
const here = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const baseline = process.env.BENCH_BASELINE_CLI;
const mine: number[] = [];
const theirs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  mine.push(await workerRss(here));
  if (baseline !== undefined) theirs.push(await workerRss(baseline));
}
console.log(`worker RSS, demo config, after 200 requests: this build ${mine.map((v) => v.toFixed(1)).join(', ')} MB (median ${median(mine).toFixed(1)})`);
if (baseline !== undefined) console.log(`baseline ${baseline}: ${theirs.map((v) => v.toFixed(1)).join(', ')} MB (median ${median(theirs).toFixed(1)})`);
console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
