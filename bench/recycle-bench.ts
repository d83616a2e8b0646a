import { Pool } from 'undici';
import { startFakeUpstream } from '../test/support/fake-upstream.js';
import { startGateway, type LogLine } from '../test/support/gateway.js';
import { printLongRun, runLongStreamBench } from './recycle-long-bench.js';

/**
 * `npm run bench:recycle`: the seed PR's experiment, then further. Two workers, a limit of 200
 * requests, sustained load; once with jitter 0 and once with jitter 40. Per run: the cumulative
 * request count at each recycle, failed requests, the fewest workers accepting connections at any
 * sampled moment (from the primary's timeline: a worker accepts from "worker booted" until
 * "drain begun"), overlapping replacement boots, and the throughput dip while one boots. Then the
 * long-stream run (recycle-long-bench.ts). Prints; asserts nothing.
 */

const DURATION_MS = Number(process.env.BENCH_RECYCLE_MS ?? 30_000);
const CONCURRENCY = 8;
const WORKERS = 2;
const LIMIT = 200;

interface RunReport {
  jitter: number;
  requests: number;
  failed: number;
  recycleAt: Array<{ count: number; slot: number; reason: string }>;
  minAccepting: number;
  overlaps: number;
  baselineRps: number;
  dipPercent: number;
  limits: number[];
}

async function run(jitter: number, upstreamUrl: string): Promise<RunReport> {
  const gateway = await startGateway({
    config: { model_list: [{ model_name: 'bench', litellm_params: { model: 'openai/recycle-bench', api_base: `${upstreamUrl}/v1` } }] },
    args: ['--num_workers', String(WORKERS), '--max_requests_before_restart', String(LIMIT), '--max_requests_before_restart_jitter', String(jitter)],
  });
  const pool = new Pool(gateway.url, { connections: CONCURRENCY });
  const completions: number[] = [];
  let failed = 0;
  const started = Date.now();
  const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'recycle me' }] });
  const loop = async () => {
    while (Date.now() - started < DURATION_MS) {
      try {
        const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.body.text();
        if (response.statusCode !== 200) failed++;
        else completions.push(Date.now());
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const ended = Date.now();
  await pool.close();
  await gateway.stop();

  const at = (line: LogLine) => Date.parse(String(line.time));
  const logs = gateway.logs;
  const countAt = (time: number) => completions.filter((t) => t <= time).length;
  const begun = logs.filter((l) => l.msg === 'recycle begun' && at(l) <= ended);
  const recycleAt = begun.map((l) => ({ count: countAt(at(l)), slot: Number(l.slot), reason: String(l.reason) }));

  // Accepting workers over time, sampled every 10 ms.
  const events = logs
    .filter((l) => l.msg === 'worker booted' || l.msg === 'drain begun' || l.msg === 'worker crashed' || l.msg === 'hung worker killed')
    .map((l) => ({ time: at(l), delta: l.msg === 'worker booted' ? 1 : -1 }))
    .sort((a, b) => a.time - b.time);
  let minAccepting = Infinity;
  for (let t = started; t <= ended; t += 10) {
    const accepting = events.filter((e) => e.time <= t).reduce((sum, e) => sum + e.delta, 0);
    minAccepting = Math.min(minAccepting, accepting);
  }

  // Surge windows: from "recycle begun" to its replacement being ready (one boot at a time per
  // host; the old worker's drain afterwards may overlap the next recycle, and costs no capacity).
  const windows = begun.map((line) => {
    const ready = logs.find((l) => l.msg === 'replacement ready' && l.old_worker_pid === line.worker_pid);
    return { from: at(line), to: ready ? at(ready) : ended };
  });
  let overlaps = 0;
  for (let i = 0; i < windows.length; i++) {
    for (let j = i + 1; j < windows.length; j++) if (windows[i]!.from < windows[j]!.to && windows[j]!.from < windows[i]!.to) overlaps++;
  }

  // Throughput in 250 ms buckets: the median outside recycle windows, the worst inside one.
  const bucketMs = 250;
  const buckets: Array<{ from: number; count: number }> = [];
  for (let t = started + 1000; t + bucketMs <= ended; t += bucketMs) buckets.push({ from: t, count: completions.filter((c) => c >= t && c < t + bucketMs).length });
  const inWindow = (b: { from: number }) => windows.some((w) => b.from + bucketMs > w.from && b.from < w.to);
  const outside = buckets.filter((b) => !inWindow(b)).map((b) => b.count).sort((a, b) => a - b);
  const inside = buckets.filter(inWindow).map((b) => b.count);
  const baseline = outside.length ? outside[Math.floor(outside.length / 2)]! : NaN;
  const worst = inside.length ? Math.min(...inside) : baseline;
  return {
    jitter,
    requests: completions.length,
    failed,
    recycleAt,
    minAccepting,
    overlaps,
    baselineRps: (baseline * 1000) / bucketMs,
    dipPercent: baseline ? ((baseline - worst) / baseline) * 100 : NaN,
    limits: logs.filter((l) => l.msg === 'worker booted').map((l) => Number(l.limit)),
  };
}

const upstream = await startFakeUpstream();
upstream.behave('recycle-bench', { delayMs: 40, text: 'recycled, not dropped' });
setInterval(() => upstream.requests.splice(0), 1000).unref();

const reports: RunReport[] = [];
for (const jitter of [0, 40]) {
  const report = await run(jitter, upstream.url);
  reports.push(report);
  console.log(`jitter ${jitter}: recycled at cumulative requests ${report.recycleAt.map((r) => `${r.count} (slot ${r.slot})`).join(', ')}`);
}
await upstream.close();

console.log(`\n${WORKERS} workers, --max_requests_before_restart ${LIMIT}, ${CONCURRENCY} keep-alive connections, ${DURATION_MS / 1000} s per run, upstream 40 ms\n`);
console.log('| jitter | requests | failed | recycles | first recycles at (cumulative requests) | fewest workers accepting | overlapping boots | baseline req/s | worst 250 ms dip during a boot |');
console.log('|---:|---:|---:|---:|---|---:|---:|---:|---:|');
for (const r of reports) {
  const first = r.recycleAt.slice(0, 6).map((x) => `${x.count}`).join(', ');
  console.log(`| ${r.jitter} | ${r.requests} | ${r.failed} | ${r.recycleAt.length} | ${first}${r.recycleAt.length > 6 ? ', …' : ''} | ${r.minAccepting} of ${WORKERS} | ${r.overlaps} | ${r.baselineRps.toFixed(0)} | ${r.dipPercent.toFixed(0)}% |`);
}
for (const r of reports) console.log(`jitter ${r.jitter}: limits drawn ${r.limits.join(', ')}`);

printLongRun(await runLongStreamBench());
