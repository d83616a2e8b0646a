import { Pool } from 'undici';
import { startFakeUpstream, sleep } from '../test/support/fake-upstream.js';
import { startGateway, type LogLine } from '../test/support/gateway.js';

/**
 * `npm run bench:crash`: workers killed under load. Two workers, 16 keep-alive clients (upstream
 * 10 ms); after 3 s, six SIGKILLs 300 ms apart, each of a worker alive at that moment; then 10 s
 * more. Prints failed requests by cause, the longest stretch without a completed request, and
 * how the requests of the 10 s after the last replacement was ready split over the workers (from
 * the per-request log lines, which carry the worker's pid). Prints; asserts nothing.
 */

const WORKERS = 2;
const CLIENTS = 16;
const KILLS = 6;
const KILL_EVERY_MS = 300;
const AFTER_MS = 10_000;

const upstream = await startFakeUpstream();
upstream.behave('crash-bench', { delayMs: 10, text: 'still here' });
const trim = setInterval(() => upstream.requests.splice(0), 1000);
const gateway = await startGateway({
  config: { model_list: [{ model_name: 'bench', litellm_params: { model: 'openai/crash-bench', api_base: `${upstream.url}/v1` } }] },
  args: ['--num_workers', String(WORKERS)],
});
const pool = new Pool(gateway.url, { connections: CLIENTS });
const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'are you there' }] });
const completions: number[] = [];
const failures = new Map<string, number>();
let stop = false;
const loop = async () => {
  while (!stop) {
    try {
      const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.body.text();
      if (response.statusCode === 200) completions.push(Date.now());
      else failures.set(`HTTP ${response.statusCode}`, (failures.get(`HTTP ${response.statusCode}`) ?? 0) + 1);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      failures.set(code, (failures.get(code) ?? 0) + 1);
    }
  }
};
const started = Date.now();
const loops = Promise.all(Array.from({ length: CLIENTS }, loop));
await sleep(3_000);

const logs = gateway.logs;
const alive = () => {
  const booted = logs.filter((l) => l.msg === 'worker booted').map((l) => Number(l.worker_pid));
  const gone = new Set(logs.filter((l) => l.msg === 'worker crashed' || l.msg === 'drain finished').map((l) => Number(l.worker_pid)));
  return booted.filter((pid) => !gone.has(pid));
};
const killed: number[] = [];
for (let i = 0; i < KILLS; i++) {
  const candidates = alive().filter((pid) => !killed.includes(pid));
  const pid = candidates[i % Math.max(1, candidates.length)];
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  await sleep(KILL_EVERY_MS);
}
// Wait until the host has its workers back, then measure the split for AFTER_MS.
const deadline = Date.now() + 60_000;
while (alive().filter((pid) => !killed.includes(pid)).length < WORKERS && Date.now() < deadline) await sleep(50);
const settled = Date.now();
await sleep(AFTER_MS);
stop = true;
await loops;
const ended = Date.now();
await pool.close();
await gateway.stop();
clearInterval(trim);
await upstream.close();

let longestGap = 0;
const inRun = completions.filter((t) => t >= started + 1000);
for (let i = 1; i < inRun.length; i++) longestGap = Math.max(longestGap, inRun[i]! - inRun[i - 1]!);
const at = (line: LogLine) => Date.parse(String(line.time));
const perWorker = new Map<number, number>();
for (const line of logs) {
  if (line.msg !== 'request' || line.route !== '/v1/chat/completions') continue;
  const time = at(line);
  if (time < settled || time > settled + AFTER_MS) continue;
  perWorker.set(Number(line.pid), (perWorker.get(Number(line.pid)) ?? 0) + 1);
}
const failed = [...failures.values()].reduce((a, b) => a + b, 0);
const split = [...perWorker.values()].sort((a, b) => b - a);
console.log(`${WORKERS} workers, ${CLIENTS} keep-alive clients, ${KILLS} SIGKILLs ${KILL_EVERY_MS} ms apart (killed ${killed.length}), then ${AFTER_MS / 1000} s`);
console.log('| requests ok | failed | failures by cause | longest stretch without an answer | split over workers in the 10 s after recovery | run |');
console.log('|---:|---:|---|---:|---|---:|');
console.log(`| ${completions.length} | ${failed} | ${[...failures].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'} | ${longestGap} ms | ${split.join(' / ')} | ${((ended - started) / 1000).toFixed(1)} s |`);
