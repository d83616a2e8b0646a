import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Agent, Pool, request } from 'undici';
import { sleep, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type GatewayProcess, type LogLine } from '../support/gateway.js';
import { runLoad } from '../support/load.js';

/** Workers that fail: never ready, killed, stuck, bloated. The host keeps serving. */

let upstream: FakeUpstream;
// A fresh connection per request, so each one is balanced anew by the primary.
const noKeepAlive = new Agent({ pipelining: 0 });

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('slowish', { delayMs: 200, text: 'ok' });
  upstream.behave('quick', { text: 'ok' });
});

after(async () => {
  await stopAllGateways();
  await upstream.close();
  await noKeepAlive.close();
});

const config = () => ({
  model_list: ['slowish', 'quick'].map((name) => ({ model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1` } })),
});
const is = (msg: string) => (line: LogLine) => line.msg === msg;

async function chat(gateway: GatewayProcess, model: string, dispatcher?: Agent): Promise<void> {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }), headers: { 'content-type': 'application/json' }, dispatcher,
    signal: AbortSignal.timeout(10_000), // nothing here may wait on a stuck worker
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text}`);
}

async function whoami(gateway: GatewayProcess): Promise<number> {
  const response = await request(`${gateway.url}/__test/whoami`, { dispatcher: noKeepAlive });
  return ((await response.body.json()) as { pid: number }).pid;
}

test('a replacement that never becomes ready is killed; the old worker keeps serving', async () => {
  const gateway = await startGateway({
    config: config(),
    args: ['--max_requests_before_restart', '5', '--worker_ready_timeout', '2'],
    env: { SWITCHYARD_TEST_HOOKS: '1', SWITCHYARD_TEST_NEVER_READY_FROM_SPAWN: '1' },
  });
  const original = await whoami(gateway);
  for (let i = 0; i < 6; i++) await chat(gateway, 'quick');
  const failed = await gateway.waitForLog(is('replacement failed; the old worker keeps serving'), 15_000);
  assert.match(String(failed.error), /not ready within 2 s/);
  assert.equal(failed.old_worker_pid, original);
  // Throughout, and after, the original worker answers every request.
  const load = await runLoad({ concurrency: 2, maxRequests: 40, maxMs: 10_000, request: () => chat(gateway, 'quick', noKeepAlive) });
  assert.equal(load.failed, 0, load.errors.join('\n'));
  assert.equal(await whoami(gateway), original);
  assert.ok(!gateway.logs.some(is('drain finished')), 'the old worker was never drained');
  await gateway.stop();
});

test('SIGKILL of one worker under load: it is replaced; only its in-flight requests fail', async () => {
  const gateway = await startGateway({ config: config(), args: ['--num_workers', '2'], env: { SWITCHYARD_TEST_HOOKS: '1' } });
  const pids = gateway.logs.filter(is('worker booted')).map((l) => Number(l.worker_pid));
  assert.equal(pids.length, 2);
  const concurrency = 6;
  let killed = false;
  const loadDone = runLoad({
    concurrency,
    maxRequests: 400,
    maxMs: 20_000,
    until: () => killed && gateway.logs.filter(is('worker booted')).length >= 3 && upstream.count('slowish') > 0,
    request: () => chat(gateway, 'slowish', noKeepAlive),
  });
  await sleep(1000);
  process.kill(pids[0]!, 'SIGKILL');
  killed = true;
  const crashed = await gateway.waitForLog(is('worker crashed'), 10_000);
  assert.equal(crashed.worker_pid, pids[0]);
  assert.equal(crashed.signal, 'SIGKILL');
  const replacement = await gateway.waitForLog((l) => l.msg === 'worker booted' && !pids.includes(Number(l.worker_pid)), 15_000);
  assert.equal(replacement.slot, crashed.slot);
  const load = await loadDone;
  assert.ok(load.ok > 0);
  assert.ok(load.failed <= concurrency, `${load.failed} requests failed; at most the ${concurrency} in flight could`);
  // Afterwards every request succeeds again.
  const afterwards = await runLoad({ concurrency: 4, maxRequests: 40, maxMs: 10_000, request: () => chat(gateway, 'quick', noKeepAlive) });
  assert.equal(afterwards.failed, 0, afterwards.errors.join('\n'));
  await gateway.stop();
});

test('a slot that crashes again is restarted after a back-off, not at once', async () => {
  // --debug: the primary logs each fork ("worker spawned"), so the wait before it can be read.
  const gateway = await startGateway({ config: config(), args: ['--debug'] });
  const bootedIn = (slot: number) => gateway.logs.filter((l) => l.msg === 'worker booted' && l.slot === slot);
  const first = Number(bootedIn(0)[0]!.worker_pid);
  process.kill(first, 'SIGKILL');
  const crash1 = await gateway.waitForLog((l) => l.msg === 'worker crashed' && l.worker_pid === first, 10_000);
  assert.equal(crash1.backoff_ms, 0, 'a first crash is restarted at once');
  await gateway.waitForLog(() => bootedIn(0).length >= 2, 15_000, 'the first restart');
  const second = Number(bootedIn(0)[1]!.worker_pid);
  process.kill(second, 'SIGKILL');
  const crash2 = await gateway.waitForLog((l) => l.msg === 'worker crashed' && l.worker_pid === second, 10_000);
  assert.ok(Number(crash2.backoff_ms) >= 500, `a second crash within the minute backs off (${crash2.backoff_ms} ms)`);
  await gateway.waitForLog(() => bootedIn(0).length >= 3, 15_000, 'the second restart');
  const spawns = gateway.logs.filter((l) => l.msg === 'worker spawned' && l.slot === 0);
  const respawn = spawns[spawns.length - 1]!;
  const waited = Date.parse(String(respawn.time)) - Date.parse(String(crash2.time));
  assert.ok(waited >= Number(crash2.backoff_ms) - 5, `forked ${waited} ms after the crash, back-off ${crash2.backoff_ms} ms`);
  await chat(gateway, 'quick');
  await gateway.stop();
});

test('with every worker gone at once, a new connection waits for the replacement instead of being refused', async () => {
  const gateway = await startGateway({ config: config(), env: { SWITCHYARD_TEST_HOOKS: '1' } });
  const pid = await whoami(gateway);
  process.kill(pid, 'SIGKILL');
  await gateway.waitForLog((l) => l.msg === 'worker crashed' && l.worker_pid === pid, 10_000);
  // No worker is alive now (its replacement is booting): the primary's socket keeps the port.
  const sentAt = Date.now();
  await chat(gateway, 'quick', noKeepAlive);
  const replacement = gateway.logs.find((l) => l.msg === 'worker booted' && l.worker_pid !== pid);
  assert.ok(replacement, 'answered by the replacement');
  assert.ok(Date.parse(String(replacement.time)) >= sentAt - 50, 'the request was sent before the replacement was ready');
  await gateway.stop();
});

test('after a crash, keep-alive clients are spread back over the restarted worker', async () => {
  const gateway = await startGateway({ config: config(), args: ['--num_workers', '2'] });
  const pids = gateway.logs.filter(is('worker booted')).map((l) => Number(l.worker_pid));
  const pool = new Pool(gateway.url, { connections: 8 });
  let stop = false;
  const body = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'hi' }] });
  const loop = async () => {
    const deadline = Date.now() + 40_000;
    while (!stop && Date.now() < deadline) {
      try {
        const response = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.body.text();
      } catch {
        // the killed worker's in-flight requests
      }
    }
  };
  const loops = Promise.all(Array.from({ length: 8 }, loop));
  try {
    await sleep(1_000);
    process.kill(pids[0]!, 'SIGKILL');
    const newcomer = await gateway.waitForLog((l) => l.msg === 'worker booted' && !pids.includes(Number(l.worker_pid)), 15_000, 'the restarted worker');
    await gateway.waitForLog(is('rebalancing keep-alive clients towards a restarted worker'), 5_000);
    await sleep(3_000); // the primary evens out over a few ping rounds
    const from = Date.now();
    await sleep(3_000);
    const to = Date.now();
    const served = (pid: number) => gateway.logs.filter((l) => l.msg === 'request' && Number(l.pid) === pid && Date.parse(String(l.time)) >= from && Date.parse(String(l.time)) <= to).length;
    const fresh = served(Number(newcomer.worker_pid));
    const survivor = served(pids[1]!);
    assert.ok(fresh + survivor > 50, `load ran: ${fresh} + ${survivor}`);
    assert.ok(fresh / (fresh + survivor) >= 0.3, `the restarted worker served ${fresh} of ${fresh + survivor} requests`);
  } finally {
    stop = true;
    await loops;
    await pool.close();
    await gateway.stop();
  }
});

test('a worker whose event loop is stuck is replaced within the health-check timeout; the others keep serving', async () => {
  const gateway = await startGateway({ config: config(), args: ['--num_workers', '2', '--timeout_worker_healthcheck', '2'], env: { SWITCHYARD_TEST_HOOKS: '1' } });
  const blocked = await request(`${gateway.url}/__test/block-event-loop?ms=60000`, { method: 'POST', dispatcher: noKeepAlive });
  const { pid } = (await blocked.body.json()) as { pid: number };
  const blockedAt = Date.now();
  // While it is stuck it accepts no connection, so the other worker answers every new one.
  const during = await runLoad({ concurrency: 2, maxRequests: 20, maxMs: 1500, request: () => chat(gateway, 'quick', noKeepAlive) });
  assert.ok(during.ok > 0, 'the healthy worker kept serving');
  assert.equal(during.failed, 0, during.errors.join('\n'));
  const hung = await gateway.waitForLog((l) => l.msg === 'worker stopped answering pings; killing it' && l.worker_pid === pid, 10_000);
  const detectedAfter = Date.parse(String(hung.time)) - blockedAt;
  assert.ok(detectedAfter <= 2000 + 1500, `detected after ${detectedAfter} ms (timeout 2 s, pings every 666 ms)`);
  const killed = await gateway.waitForLog((l) => l.msg === 'hung worker killed' && l.worker_pid === pid);
  assert.equal(killed.reason, 'hung');
  await gateway.waitForLog((l) => l.msg === 'worker booted' && l.slot === killed.slot && l.worker_pid !== pid, 15_000);
  const afterwards = await runLoad({ concurrency: 4, maxRequests: 40, maxMs: 10_000, request: () => chat(gateway, 'quick', noKeepAlive) });
  assert.equal(afterwards.failed, 0, afterwards.errors.join('\n'));
  await gateway.stop();
});

test('a memory limit below a worker\'s size recycles it, reason memory', async () => {
  const gateway = await startGateway({ config: config(), args: ['--max_worker_memory_mb', '20'] });
  const begun = await gateway.waitForLog(is('recycle begun'), 20_000);
  assert.equal(begun.reason, 'memory');
  assert.ok(Number(begun.rss_mb) > 20);
  await gateway.waitForLog(is('replacement ready'), 15_000);
  await gateway.waitForLog(is('drain finished'), 15_000);
  await chat(gateway, 'quick');
  await gateway.stop();
});

test('workers run with the heap flag that keeps them small, unless the operator set their own', async () => {
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const plain = await startGateway({ config: config(), env: { SWITCHYARD_TEST_HOOKS: '1' } });
  const plainArgs = cmdline(await whoami(plain));
  assert.ok(plainArgs.includes('--heap-growing-percent=50'), plainArgs.join(' '));
  assert.ok(plainArgs.includes('--expose-gc'), 'a start flag, so that V8\'s code cache matches (memory-release.ts)');
  await chat(plain, 'quick');
  await plain.stop();

  const tuned = await startGateway({ config: config(), nodeArgs: ['--heap-growing-percent=100'], env: { SWITCHYARD_TEST_HOOKS: '1' } });
  const tunedArgs = cmdline(await whoami(tuned));
  assert.deepEqual(tunedArgs.filter((arg) => arg.startsWith('--heap-growing-percent')), ['--heap-growing-percent=100'], tunedArgs.join(' '));
  await chat(tuned, 'quick');
  await tuned.stop();
});
