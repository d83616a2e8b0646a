import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { Client } from 'undici';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, stopAllGateways, type LogLine } from '../support/gateway.js';
import { runLoad } from '../support/load.js';
import { freePort } from '../support/ports.js';
import { promtoolCheckMetrics, startPrometheus, type PrometheusServer } from '../support/prometheus.js';

/**
 * Metrics across worker processes, checked by the real tools: promtool on the text, and a real
 * Prometheus server scraping a gateway whose two workers recycle many times under load.
 */

let upstream: FakeUpstream;
let prometheus: PrometheusServer | undefined;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.behave('steady', { delayMs: 5, text: 'steady answer', usage: { prompt_tokens: 11, completion_tokens: 4 } });
  upstream.behave('streamy', { chunkCount: 3, chunkIntervalMs: 5, text: 'one two three' });
  upstream.behave('slow', { delayMs: 2_500, text: 'slow answer' });
});

after(async () => {
  await prometheus?.stop();
  await stopAllGateways();
  await upstream.close();
});

const config = (extra: object = {}) => ({
  model_list: ['steady', 'streamy', 'slow'].map((name) => ({
    model_name: name, litellm_params: { model: `openai/${name}`, api_base: `${upstream.url}/v1`, api_key: 'sk-upstream-secret' },
  })),
  ...extra,
});

/** A request on a new connection every time: a keep-alive socket could belong to a stuck worker. */
function getFresh(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000, method = 'GET'): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers, timeout: timeoutMs, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** One sample's value from exposition text (`name{labels}` exactly as written), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await probe();
  }
  return last;
}

const is = (msg: string) => (line: LogLine) => line.msg === msg;

test('a real Prometheus scraping two recycling workers (primary port and main port): no counter reset, the total is exactly N', async () => {
  const metricsPort = await freePort();
  const gateway = await startGateway({
    config: config(),
    args: ['--num_workers', '2', '--max_requests_before_restart', '25', '--keepalive_timeout', '1', '--prometheus_metrics_port', String(metricsPort)],
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  prometheus = await startPrometheus({ primary: `127.0.0.1:${metricsPort}`, main: `127.0.0.1:${gateway.port}` });
  const sdk = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  const N = 360;
  const RECYCLES = 6;
  const recycles = () => gateway.logs.filter(is('drain finished')).length;
  const kinds = { chat: 0, stream: 0, unknown: 0 };
  const started = Date.now();
  const load = await runLoad({
    concurrency: 4,
    maxRequests: N,
    maxMs: 60_000,
    pauseMs: 20,
    // At least 8 s of load, so that Prometheus (1 s interval) scrapes between the recycles even
    // where workers boot fast.
    minMs: 8_000,
    request: async (_loop, index) => {
      // Spread the N requests over RECYCLES recycles, however long a worker takes to boot here.
      while (recycles() < Math.floor((index * RECYCLES) / N) && Date.now() - started < 50_000) await new Promise((r) => setTimeout(r, 25));
      if (index % 6 === 5) {
        kinds.unknown++;
        const failure = await sdk.chat.completions.create({ model: 'not-in-config', messages: [{ role: 'user', content: 'x' }] }).then(() => undefined, (e: unknown) => e);
        if (!(failure instanceof OpenAI.NotFoundError)) throw new Error(`expected 404, got ${String(failure)}`);
      } else if (index % 6 === 4) {
        kinds.stream++;
        const stream = await sdk.chat.completions.create({ model: 'streamy', messages: [{ role: 'user', content: 's' }], stream: true });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        if (text !== 'one two three') throw new Error(`stream cut short: "${text}"`);
      } else {
        kinds.chat++;
        const answer = await sdk.chat.completions.create({ model: 'steady', messages: [{ role: 'user', content: 'c' }] });
        if (answer.choices[0]?.message.content !== 'steady answer') throw new Error('wrong answer');
      }
    },
  });
  const recycled = recycles();
  console.log(`load: ${load.ok} ok, ${load.failed} failed in ${load.durationMs} ms; ${recycled} recycles`);
  // On failure, what the supervisor saw (per-request lines left out) says whether a recycle was to blame.
  const supervisorLines = () => gateway.logs.filter((l) => l.role === 'primary').map((l) => `${String(l.time)} ${String(l.msg)} ${String(l.worker_pid ?? '')}`).join('\n');
  assert.equal(load.failed, 0, `${load.errors.join('\n')}\n${supervisorLines()}`);
  assert.equal(load.ok, N);
  assert.ok(recycled >= RECYCLES - 1, `only ${recycled} recycles happened`);

  // Prometheus has both views of the host; each converges on exactly N once the last pushes and scrapes land.
  const chatRoute = 'route="/v1/chat/completions"';
  const totals = await eventually('sum by (job) of requests_total in Prometheus', 20_000,
    () => prometheus!.query(`sum by (job) (switchyard_requests_total{${chatRoute}})`),
    (result) => result.length === 2 && result.every((s) => s.value === N));
  assert.deepEqual(totals.map((s) => s.metric.job).sort(), ['main', 'primary']);

  const byStatus = await prometheus.query(`sum by (job, model_group, status_code) (switchyard_requests_total{${chatRoute}, job="primary"})`);
  const count = (group: string, status: string) => byStatus.find((s) => s.metric.model_group === group && s.metric.status_code === status)?.value;
  assert.equal(count('steady', '200'), kinds.chat);
  assert.equal(count('streamy', '200'), kinds.stream);
  assert.equal(count('other', '404'), kinds.unknown, 'a model the config lacks is labelled other');

  // Not one total went down over the whole run, in either view, for any series.
  const names = (await prometheus.query('count by (__name__) ({__name__=~"switchyard_.+_(total|count)"})')).map((s) => s.metric.__name__!);
  assert.ok(names.includes('switchyard_requests_total') && names.length >= 6, `too few metrics to mean anything: ${names.join(', ')}`);
  let seriesChecked = 0;
  for (const name of names) {
    const resets = await prometheus.query(`resets(${name}[5m])`);
    seriesChecked += resets.length;
    const reset = resets.filter((s) => s.value !== 0).map((s) => `${name}${JSON.stringify(s.metric)} = ${s.value}`);
    assert.deepEqual(reset, [], 'counter resets seen by Prometheus');
  }
  assert.ok(seriesChecked > 20, `only ${seriesChecked} series checked`);
  const scrapes = await prometheus.query('count_over_time(up[5m])');
  for (const s of scrapes) assert.ok(s.value >= 5, `${s.metric.job}: only ${s.value} scrapes`);

  // Recycled workers' gauges left with them: nothing is in flight once the load is over.
  const inFlight = await eventually('in-flight gauge in Prometheus', 5_000,
    () => prometheus!.query('switchyard_in_flight_requests'), (result) => result.length === 2 && result.every((s) => s.value === 0));
  assert.equal(inFlight.length, 2);

  // Scrapes keep coming, so recycles may go on: every recycle the log shows is counted once its worker is gone.
  const text = await eventually('restarts counted as the log shows them', 5_000, async () => (await getFresh(metricsUrl)).body,
    (body) => sample(body, 'switchyard_worker_restarts_total{reason="max_requests"}') === recycles());
  assert.equal(sample(text, 'switchyard_workers{state="ready"}'), 2);
  const inputTokens = /^switchyard_tokens_total\{model_group="steady",deployment="[^"]+",direction="input"\} (\d+)$/m.exec(text)?.[1];
  assert.equal(Number(inputTokens), 11 * kinds.chat);
  assert.ok(!text.includes('sk-upstream-secret'), 'no secret in the metrics');
  for (const body of [text, (await getFresh(`${gateway.url}/metrics`)).body]) {
    const check = promtoolCheckMetrics(body);
    assert.equal(check.status, 0, `promtool check metrics:\n${check.output}`);
    assert.equal(check.output, '', `promtool has remarks:\n${check.output}`);
  }
  assert.match(text, /^switchyard_time_to_first_token_seconds_count\{model_group="streamy"\} \d+$/m);
  assert.match(text, /^process_resident_memory_bytes \d+/m, 'the primary\'s own process metrics');

  await prometheus.stop();
  prometheus = undefined;
  await gateway.stop();
});

test('/metrics answers at once while a worker is stuck; a SIGKILLed worker\'s in-flight requests leave the gauge; a stopped primary means a 503', async () => {
  const metricsPort = await freePort();
  const gateway = await startGateway({
    config: config({ general_settings: { master_key: 'sk-master', require_auth_for_metrics_endpoint: true } }),
    args: ['--num_workers', '2', '--prometheus_metrics_port', String(metricsPort)],
    env: { SWITCHYARD_TEST_HOOKS: '1' },
  });
  const auth = { authorization: 'Bearer sk-master' };
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  assert.equal((await getFresh(metricsUrl)).status, 401, 'require_auth_for_metrics_endpoint: the key is needed');
  assert.equal((await getFresh(`${gateway.url}/metrics`)).status, 401);

  // One worker spins for 4 s; every scrape on a new connection is answered by the other one or the primary.
  const blocked = await getFresh(`${gateway.url}/__test/block-event-loop?ms=4000`, {}, 5_000, 'POST');
  const { pid: stuckPid } = JSON.parse(blocked.body) as { pid: number };
  const blockEnds = Date.now() + 4_000;
  for (let i = 0; i < 4; i++) {
    for (const url of [`${gateway.url}/metrics`, metricsUrl]) {
      const answer = await getFresh(url, auth, 3_500);
      assert.equal(answer.status, 200, answer.body);
      assert.ok(answer.ms < 1_500, `${url} took ${answer.ms.toFixed(0)} ms while a worker was stuck`);
      assert.match(answer.body, /^switchyard_workers\{state="ready"\} 2$/m);
    }
  }
  assert.ok(Date.now() < blockEnds, 'the scrapes ran while the worker was still stuck');
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, blockEnds - Date.now()) + 300));

  // Keep-alive connections pinned to workers: open them until each worker holds at least three.
  const clients: Client[] = [];
  const pids: number[] = [];
  const counts = new Map<number, number>();
  while (clients.length < 24 && (counts.size < 2 || [...counts.values()].some((n) => n < 3))) {
    const client = new Client(gateway.url, { pipelining: 1 });
    const response = await client.request({ path: '/__test/whoami', method: 'GET' });
    const { pid } = (await response.body.json()) as { pid: number };
    clients.push(client);
    pids.push(pid);
    counts.set(pid, (counts.get(pid) ?? 0) + 1);
  }
  assert.equal(counts.size, 2, `every connection reached one worker (${pids.join(', ')}); cannot kill one of two`);
  const victim = [...counts.keys()].find((pid) => pid !== stuckPid) ?? pids[0]!;
  const total = clients.length;

  const calls = clients.map((client) => client.request({
    path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'wait' }] }),
  }).then(async (response) => {
    await response.body.text();
    return response.statusCode;
  }, () => 'failed' as const));

  const inFlight = async () => sample((await getFresh(metricsUrl, auth)).body, 'switchyard_in_flight_requests');
  await eventually(`in-flight with ${total} slow requests`, 2_200, inFlight, (value) => value === total);
  process.kill(victim, 'SIGKILL');
  const outcomes = await Promise.all(calls);
  assert.deepEqual(outcomes.filter((o) => o === 'failed').length, counts.get(victim), 'the killed worker\'s requests failed');
  assert.deepEqual(outcomes.filter((o) => o === 200).length, total - counts.get(victim)!, 'the other worker\'s requests were answered');
  await eventually('in-flight after the kill', 3_000, inFlight, (value) => value === 0);

  const text = (await getFresh(metricsUrl, auth)).body;
  assert.equal(sample(text, 'switchyard_worker_restarts_total{reason="crash"}'), 1);
  assert.equal(sample(text, 'switchyard_requests_total{model_group="slow",route="/v1/chat/completions",status_code="200"}'), total - counts.get(victim)!);
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));

  // The primary stopped (SIGSTOP): a worker answers its bounded wait with a 503 that says why.
  process.kill(gateway.proc.pid!, 'SIGSTOP');
  try {
    const answer = await getFresh(`${gateway.url}/metrics`, auth, 8_000);
    assert.equal(answer.status, 503, answer.body);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'metrics_unavailable');
    assert.match(answer.body, /primary process did not answer within 3000 ms/);
    assert.ok(answer.ms < 5_000, `took ${answer.ms.toFixed(0)} ms`);
  } finally {
    process.kill(gateway.proc.pid!, 'SIGCONT');
  }
  assert.equal((await getFresh(`${gateway.url}/metrics`, auth)).status, 200, 'scrapes work again once the primary runs');
  await gateway.stop();
});

test('--disable_metrics: /metrics answers 404 saying so, and the metrics port is not opened', async () => {
  const metricsPort = await freePort();
  const gateway = await startGateway({ config: config(), args: ['--disable_metrics', '--prometheus_metrics_port', String(metricsPort)] });
  const answer = await getFresh(`${gateway.url}/metrics`);
  assert.equal(answer.status, 404);
  assert.match(answer.body, /Metrics are turned off/);
  await assert.rejects(getFresh(`http://127.0.0.1:${metricsPort}/metrics`), /ECONNREFUSED/);
  assert.ok(gateway.logs.some((l) => String(l.msg).includes('prometheus_metrics_port has no effect')));
  await gateway.stop();
});

test('a --prometheus_metrics_port in use stops start-up with a clear error', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const taken = (holder.address() as AddressInfo).port;
  try {
    const gateway = await startGateway({ config: config(), args: ['--prometheus_metrics_port', String(taken)], waitReady: false });
    const exit = await gateway.exited;
    assert.equal(exit.code, 1);
    assert.ok(gateway.logs.some((l) => l.level === 'fatal' && String(l.msg).includes(`--prometheus_metrics_port ${taken} on 127.0.0.1 is already in use`)), gateway.output());
  } finally {
    holder.close();
  }
});

test('background health checks show as metrics: probes counted and timed, a failing deployment in outage', async () => {
  upstream.behave('probe-bad', { status: 500, errorMessage: 'down for maintenance' });
  const gateway = await startGateway({
    config: {
      model_list: [
        { model_name: 'fine', litellm_params: { model: 'openai/probe-fine', api_base: `${upstream.url}/v1` }, model_info: { id: 'fine-1' } },
        { model_name: 'broken', litellm_params: { model: 'openai/probe-bad', api_base: `${upstream.url}/v1` }, model_info: { id: 'broken-1' } },
      ],
      general_settings: { background_health_checks: true, health_check_interval: 1 },
    },
  });
  const text = await eventually('two rounds of health metrics', 10_000, async () => (await getFresh(`${gateway.url}/metrics`)).body,
    (body) => (sample(body, 'switchyard_health_checks_total{model_group="broken",deployment="broken-1",result="unhealthy"}') ?? 0) >= 2);
  assert.ok((sample(text, 'switchyard_health_checks_total{model_group="fine",deployment="fine-1",result="healthy"}') ?? 0) >= 2);
  assert.equal(sample(text, 'switchyard_health_checks_total{model_group="fine",deployment="fine-1",result="unhealthy"}') ?? 0, 0);
  assert.ok((sample(text, 'switchyard_health_check_duration_seconds_count{model_group="fine",deployment="fine-1"}') ?? 0) >= 2);
  assert.equal(sample(text, 'switchyard_deployment_state{model_group="broken",deployment="broken-1"}'), 2);
  assert.equal(sample(text, 'switchyard_deployment_state{model_group="fine",deployment="fine-1"}'), 0);
  await gateway.stop();
});
