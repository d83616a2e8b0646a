import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { startFakeUpstream, type FakeUpstream } from '../test/support/fake-upstream.js';
import { startGateway, type GatewayProcess } from '../test/support/gateway.js';

/**
 * `npm run bench:body-memory`: a worker's resident memory (idle, peak, after) while it takes large
 * request bodies (a chat message carrying one base64 image, the large case of LLM traffic) and one
 * large upstream answer. One worker per scenario, a fresh gateway each time; RSS is read from
 * /proc/<worker>/status every 10 ms. Settings go in through the config file and the environment,
 * which an older build ignores, so the same bench measures before and after a change. Prints a
 * table; asserts nothing.
 */

const BODY_MB = Number(process.env.BENCH_BODY_MB ?? 30);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ANSWER_MB = Number(process.env.BENCH_ANSWER_MB ?? 60);
/** An answer past the default max_response_size_mb (64 MB). */
const OVERSIZED_ANSWER_MB = 100;
/** How long after the load "after" is read: V8's memory reducer gives memory back 15-25 s after a peak. */
const AFTER_MS = Number(process.env.BENCH_AFTER_MS ?? 30_000);
const MB = 1024 * 1024;
/** Extra environment for the gateway, `NAME=value,NAME=value` (e.g. glibc's MALLOC_ tunables). */
const EXTRA_ENV = Object.fromEntries((process.env.BENCH_GATEWAY_ENV ?? '').split(',').filter((pair) => pair.includes('=')).map((pair) => pair.split('=', 2) as [string, string]));

interface Row {
  scenario: string;
  statuses: string;
  idle: number;
  peak: number;
  after2: number;
  afterLong: number;
  /** The target: 2 × idle + the bytes of the bodies admitted at once. */
  target?: number;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A chat request whose one user message carries an image as a base64 data URL, `mb` in all. */
function imageBody(model: string, mb: number): Buffer {
  const frame = { model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'IMAGE' } }] }] };
  const overhead = JSON.stringify(frame).length - 'IMAGE'.length + 'data:image/png;base64,'.length;
  const base64 = randomBytes(Math.floor(((mb * MB - overhead) * 3) / 4)).toString('base64');
  return Buffer.from(JSON.stringify(frame).replace('IMAGE', `data:image/png;base64,${base64}`));
}

/** POSTs a body on a fresh connection; resolves with the status (or the error code). */
function post(url: string, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const target = new URL('/v1/chat/completions', url);
    const req = httpRequest(target, {
      method: 'POST',
      agent: new Agent({ keepAlive: false }),
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', () => resolve('reset'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

function tally(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].sort().map(([status, n]) => `${n}×${status}`).join(' ');
}

async function workerPid(gateway: GatewayProcess): Promise<number> {
  const ready = await gateway.waitForLog((line) => line.msg === 'switchyard ready', 20_000, 'ready');
  const pid = (ready.pids as number[] | undefined)?.[0];
  if (pid === undefined) throw new Error('no worker pid in the ready line');
  return pid;
}

interface ScenarioSpec {
  name: string;
  generalSettings?: Record<string, unknown>;
  env?: Record<string, string>;
  load: (gateway: GatewayProcess) => Promise<string[]>;
  /** Bytes of bodies the worker may hold at once, for the target column. */
  bodiesMb?: number;
}

async function runScenario(upstream: FakeUpstream, spec: ScenarioSpec): Promise<Row> {
  const gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'bench-body', litellm_params: { model: 'openai/bench-body', api_base: `${upstream.url}/v1` } },
        { model_name: 'bench-big-answer', litellm_params: { model: 'openai/bench-big-answer', api_base: `${upstream.url}/v1` } },
        { model_name: 'bench-oversized-answer', litellm_params: { model: 'openai/bench-oversized-answer', api_base: `${upstream.url}/v1` } },
      ],
      general_settings: spec.generalSettings ?? {},
    },
    env: { ...EXTRA_ENV, ...spec.env },
  });
  try {
    const pid = await workerPid(gateway);
    await post(gateway.url, imageBody('bench-body', 0.1)); // one small request warms the path
    await sleep(1_000);
    const idle = rssMb(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 10);
    const statuses = await spec.load(gateway);
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid));
    upstream.requests.splice(0);
    await sleep(2_000);
    const after2 = rssMb(pid);
    await sleep(Math.max(0, AFTER_MS - 2_000));
    const afterLong = rssMb(pid);
    const target = spec.bodiesMb === undefined ? undefined : 2 * idle + spec.bodiesMb;
    return { scenario: spec.name, statuses: tally(statuses), idle, peak, after2, afterLong, target };
  } catch (error) {
    process.stderr.write(`${spec.name} failed; the gateway said:\n${gateway.output().split('\n').slice(-20).join('\n')}\n`);
    throw error;
  } finally {
    await gateway.stop();
  }
}

const upstream = await startFakeUpstream();
// The upstream holds each answer a little, so that the bodies are in the worker at the same time.
upstream.behave('bench-body', { text: 'a picture', delayMs: 300 });
upstream.behave('bench-big-answer', { text: 'x'.repeat(ANSWER_MB * MB) });
upstream.behave('bench-oversized-answer', { text: 'x'.repeat(OVERSIZED_ANSWER_MB * MB) });

const body = imageBody('bench-body', BODY_MB);
const ask = (model: string) => Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'say a lot' }] }));
const everyBody = async (gateway: GatewayProcess) => Promise.all(Array.from({ length: CONCURRENCY }, () => post(gateway.url, body)));
/** Admits every body at once (a build with an in-flight cap reads this; an older one ignores it). */
const admitAll = { SWITCHYARD_MAX_BODY_MB_IN_FLIGHT: String(Math.ceil(CONCURRENCY * BODY_MB * 1.1)) };

const scenarios: ScenarioSpec[] = [
  { name: `1 body of ${BODY_MB} MB`, env: admitAll, load: async (g) => [await post(g.url, body)], bodiesMb: BODY_MB },
  { name: `${CONCURRENCY} bodies of ${BODY_MB} MB at once, all admitted`, env: admitAll, load: everyBody, bodiesMb: CONCURRENCY * BODY_MB },
  { name: `${CONCURRENCY} bodies of ${BODY_MB} MB at once, default settings`, load: everyBody },
  {
    name: `one ${ANSWER_MB} MB upstream answer, admitted`,
    generalSettings: { max_response_size_mb: ANSWER_MB * 1.5 },
    load: async (g) => [await post(g.url, ask('bench-big-answer'))],
  },
  { name: `one ${OVERSIZED_ANSWER_MB} MB upstream answer, default settings`, load: async (g) => [await post(g.url, ask('bench-oversized-answer'))] },
];

const only = process.env.BENCH_ONLY;
const rows: Row[] = [];
for (const [index, spec] of scenarios.entries()) {
  if (only !== undefined && !only.split(',').includes(String(index + 1))) continue;
  process.stderr.write(`running: ${spec.name}\n`);
  rows.push(await runScenario(upstream, spec));
}
await upstream.close();

const mb = (value: number) => value.toFixed(0).padStart(6);
console.log(`\nworker RSS in MB (node ${process.version}); "after" = ${AFTER_MS / 1000} s after the load\n`);
console.log('| scenario | answers | idle | peak | after 2 s | after | target (2 × idle + bodies) |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const target = row.target === undefined ? '' : `${mb(row.target)} (${row.peak <= row.target ? 'met' : 'missed'})`;
  console.log(`| ${row.scenario} | ${row.statuses} | ${mb(row.idle)} | ${mb(row.peak)} | ${mb(row.after2)} | ${mb(row.afterLong)} | ${target} |`);
}
