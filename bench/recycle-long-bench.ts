import { Pool } from 'undici';
import { startFakeUpstream } from '../test/support/fake-upstream.js';
import { startGateway, type LogLine } from '../test/support/gateway.js';

/**
 * Part of `npm run bench:recycle`: recycling under LLM-length streams. Two workers, limit 100 +
 * jitter 50, 16 keep-alive clients sending 6,000 short calls (upstream 40 ms) while 4 streams of
 * 40 s run (longer than the default 30 s --graceful_timeout). Prints failed requests, whole
 * streams, recycles, the fewest workers accepting at any sampled moment, the overshoot past each
 * limit (from the "drain finished" lines) and the worker pids seen; asserts nothing.
 */

const WORKERS = 2;
const LIMIT = 100;
const JITTER = 50;
const CLIENTS = 16;
const SHORT_CALLS = Number(process.env.BENCH_LONG_CALLS ?? 6_000);
const STREAMS = 4;
const STREAM_MS = Number(process.env.BENCH_LONG_STREAM_MS ?? 40_000);
const STREAM_CHUNKS = 80;
const STREAM_TEXT = Array.from({ length: STREAM_CHUNKS }, (_, i) => `w${i}`).join(' ');

export interface LongRunReport {
  requests: number;
  failed: number;
  errors: string[];
  streamsWhole: number;
  recycles: number;
  minAccepting: number;
  overshoots: number[];
  pids: number;
  capWaits: number;
  maxDraining: number;
  durationMs: number;
  shortCallsMs: number;
}

async function readStream(pool: Pool): Promise<boolean> {
  const response = await pool.request({
    path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'long', messages: [{ role: 'user', content: 'take your time' }], stream: true }),
  });
  const raw = await response.body.text();
  if (response.statusCode !== 200) return false;
  const text = raw.split('\n\n').filter((e) => e.startsWith('data: {'))
    .map((e) => (JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join('');
  return raw.endsWith('data: [DONE]\n\n') && text === STREAM_TEXT;
}

export async function runLongStreamBench(args: string[] = []): Promise<LongRunReport> {
  const upstream = await startFakeUpstream();
  upstream.behave('short', { delayMs: 40, text: 'short and sweet' });
  upstream.behave('long', { chunkCount: STREAM_CHUNKS, chunkIntervalMs: STREAM_MS / STREAM_CHUNKS, text: STREAM_TEXT });
  const trim = setInterval(() => upstream.requests.splice(0), 1000);
  const gateway = await startGateway({
    config: { model_list: ['short', 'long'].map((name) => ({ model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1` } })) },
    args: ['--num_workers', String(WORKERS), '--max_requests_before_restart', String(LIMIT), '--max_requests_before_restart_jitter', String(JITTER), ...args],
  });
  const started = Date.now();
  const streamPool = new Pool(gateway.url, { connections: STREAMS });
  const streams = Array.from({ length: STREAMS }, () => readStream(streamPool).catch(() => false));

  const pool = new Pool(gateway.url, { connections: CLIENTS });
  const body = JSON.stringify({ model: 'short', messages: [{ role: 'user', content: 'quick one' }] });
  let issued = 0;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const loop = async () => {
    while (issued < SHORT_CALLS && Date.now() - started < 300_000) {
      issued++;
      try {
        const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await response.body.text();
        if (response.statusCode === 200) ok++;
        else {
          failed++;
          if (errors.length < 5) errors.push(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        }
      } catch (error) {
        failed++;
        if (errors.length < 5) errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, loop));
  const shortCallsMs = Date.now() - started;
  const whole = (await Promise.all(streams)).filter(Boolean).length;
  const ended = Date.now();
  await pool.close();
  await streamPool.close();
  await gateway.stop();
  clearInterval(trim);
  await upstream.close();

  const logs = gateway.logs;
  const at = (line: LogLine) => Date.parse(String(line.time));
  const timeline = (kinds: Record<string, number>) => logs.filter((l) => typeof l.msg === 'string' && l.msg in kinds)
    .map((l) => ({ time: at(l), delta: kinds[l.msg as string]! })).sort((a, b) => a.time - b.time);
  const sample = (events: Array<{ time: number; delta: number }>, pick: (a: number, b: number) => number, initial: number) => {
    let value = initial;
    for (let t = started; t <= ended; t += 10) value = pick(value, events.filter((e) => e.time <= t).reduce((sum, e) => sum + e.delta, 0));
    return value;
  };
  const accepting = timeline({ 'worker booted': 1, 'drain begun': -1, 'worker crashed': -1, 'hung worker killed': -1 });
  const draining = timeline({ 'drain begun': 1, 'drain finished': -1, 'drain finished: requests still open at the drain deadline were ended': -1 });
  const drains = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('drain finished') && l.reason === 'max_requests');
  // Builds before the overshoot was reported: the count the primary knew when the drain began.
  const limits = new Map(logs.filter((l) => l.msg === 'worker booted').map((l) => [l.worker_pid, Number(l.limit)]));
  const legacyOvershoots = logs.filter((l) => l.msg === 'drain begun' && l.reason === 'max_requests').map((l) => Number(l.served) - limits.get(l.worker_pid)!);
  return {
    requests: ok,
    failed,
    errors,
    streamsWhole: whole,
    recycles: logs.filter((l) => l.msg === 'recycle begun').length,
    minAccepting: sample(accepting, Math.min, Infinity),
    overshoots: drains.length > 0 ? drains.map((l) => Number(l.overshoot)).filter((n) => Number.isFinite(n)) : legacyOvershoots,
    pids: new Set(logs.filter((l) => l.msg === 'worker booted').map((l) => l.worker_pid)).size,
    capWaits: logs.filter((l) => l.msg === 'recycles wait: draining workers are at their cap').length,
    maxDraining: sample(draining, Math.max, 0),
    durationMs: ended - started,
    shortCallsMs,
  };
}

export function printLongRun(report: LongRunReport, label = ''): void {
  const sorted = [...report.overshoots].sort((a, b) => a - b);
  const p50 = sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
  const max = sorted.length ? sorted[sorted.length - 1] : NaN;
  console.log(`\nlong streams${label}: ${WORKERS} workers, limit ${LIMIT} + jitter ${JITTER}, ${CLIENTS} keep-alive clients, ${SHORT_CALLS} short calls (upstream 40 ms), ${STREAMS} streams of ${STREAM_MS / 1000} s`);
  console.log('| requests ok | failed | streams whole | recycles | recycles per 6,000 requests | fewest workers accepting | worker pids seen | overshoot p50 / max | most draining at once | cap waits | short calls took |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|');
  console.log(`| ${report.requests} | ${report.failed} | ${report.streamsWhole} of ${STREAMS} | ${report.recycles} | ${((report.recycles * 6000) / Math.max(1, report.requests)).toFixed(1)} | ${report.minAccepting} of ${WORKERS} | ${report.pids} | ${p50} / ${max} | ${report.maxDraining} | ${report.capWaits} | ${(report.shortCallsMs / 1000).toFixed(1)} s |`);
  if (report.errors.length) console.log(`errors: ${report.errors.join(' | ')}`);
}

if (import.meta.url === `file://${process.argv[1]}`) printLongRun(await runLongStreamBench());
