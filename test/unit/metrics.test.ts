import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/core/index.js';
import {
  combineShares, METRICS, MetricsAggregator, PrimaryMetrics, renderFamilies, WorkerMetrics, type MetricsDelta, type MetricsPrimaryMessage, type MetricsWorkerMessage,
  type RequestFacts, type WorkerView,
} from '../../src/metrics/index.js';

/** The metrics parts in process: the worker's recorder, the primary's aggregation, the exposition text. */

function recorder(options: { groups?: string[]; now?: () => number } = {}) {
  const sent: MetricsWorkerMessage[] = [];
  const patterns = (options.groups ?? []).filter((g) => g.endsWith('*'));
  const metrics = new WorkerMetrics({
    channel: { send: (message, then) => { sent.push(structuredClone(message)); then?.(); } },
    modelGroups: options.groups ?? ['gpt', 'team/*'],
    resolveModelGroup: (name) => patterns.find((p) => name.startsWith(p.slice(0, -1))),
    now: options.now ?? (() => 1_000),
  });
  return { metrics, sent };
}

const deployment = { id: 'dep-1', modelName: 'gpt' };
const facts = (extra: Partial<RequestFacts> = {}): RequestFacts => ({ startedAt: 900, ...extra });

/** The series of one metric in a text exposition: `name{labels}` → value. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const at = line.lastIndexOf(' ');
    const series = line.slice(0, at);
    if (series.split('{')[0] === name) out.set(series, Number(line.slice(at + 1)));
  }
  return out;
}

describe('worker recorder', () => {
  test('spend log counters exist at 0 from the writer\'s first report, so increase() sees the first dropped row', () => {
    const { metrics, sent } = recorder();
    metrics.push();
    const counters = () => sent.flatMap((m) => ('delta' in m ? (m as { delta: MetricsDelta }).delta.counters : []));
    assert.deepEqual(counters().filter(([name]) => name.startsWith('switchyard_spend_log_rows')), [], 'no spend logs: no series');
    metrics.spendLogObserver.pending(0);
    metrics.push();
    assert.deepEqual(counters().filter(([name]) => name.startsWith('switchyard_spend_log_rows')).map(([name, , value]) => [name, value]).sort(), [
      ['switchyard_spend_log_rows_dropped_total', 0], ['switchyard_spend_log_rows_written_total', 0],
    ]);
    metrics.spendLogObserver.dropped(2);
    metrics.push();
    assert.deepEqual(counters().filter(([name]) => name === 'switchyard_spend_log_rows_dropped_total').map(([, , value]) => value), [0, 2]);
  });

  test('a cache hit adds what its answer first cost to the saved counter, by model group and cache type', () => {
    const { metrics, sent } = recorder();
    metrics.requestStarted();
    metrics.requestEnded(facts({ modelGroup: 'gpt', stream: false, cache: 'hit', cacheType: 'redis', savedUsd: 0.25 }), 200, '/v1/chat/completions');
    metrics.requestStarted();
    metrics.requestEnded(facts({ modelGroup: 'gpt', stream: false, cache: 'hit', cacheType: 'redis', savedUsd: null }), 200, '/v1/chat/completions');
    metrics.requestStarted();
    metrics.requestEnded(facts({ modelGroup: 'gpt', stream: false, cache: 'miss', cacheType: 'redis', deployment, usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, cost: { usd: 0.5 } }), 200, '/v1/chat/completions');
    metrics.push();
    const delta = (sent[0] as { delta: MetricsDelta }).delta;
    assert.deepEqual(delta.counters.filter(([name]) => name === 'switchyard_cache_saved_usd_total'), [['switchyard_cache_saved_usd_total', ['gpt', 'redis'], 0.25]]);
    assert.deepEqual(delta.counters.filter(([name]) => name === 'switchyard_spend_usd_total').map(([, , v]) => v), [0.5]);
  });

  test('a request is counted by config model group, route pattern and status; deltas start again at zero', () => {
    const { metrics, sent } = recorder({ groups: ['gpt', 'team/*'] });
    metrics.requestStarted();
    metrics.requestEnded(facts({ modelGroup: 'gpt', stream: false, deployment, overheadMs: 0.5, usage: { input: 7, output: 3, cacheRead: 0, cacheWrite: 0 } }), 200, '/v1/chat/completions');
    metrics.requestStarted();
    metrics.requestEnded(facts({ modelGroup: 'team/alice-secret-model', stream: true, firstByteMs: 50 }), 200, '/v1/chat/completions');
    metrics.requestStarted();
    metrics.requestEnded(facts({ stream: false }), 404, '/v1/chat/completions'); // named a model the config lacks
    metrics.requestStarted();
    metrics.requestEnded(facts(), 200, '/health/readiness');
    metrics.push();
    assert.equal(sent.length, 1);
    const push = sent[0]!;
    assert.equal(push.type, 'metrics-push');
    const delta = (push as { delta: MetricsDelta }).delta;
    const requests = delta.counters.filter(([name]) => name === 'switchyard_requests_total').map(([, labels, value]) => [labels.join('|'), value]);
    assert.deepEqual(requests, [
      ['gpt|/v1/chat/completions|200', 1],
      ['team/*|/v1/chat/completions|200', 1], // the pattern, never the name the client sent
      ['other|/v1/chat/completions|404', 1],
      ['|/health/readiness|200', 1],
    ]);
    assert.deepEqual(delta.counters.filter(([name]) => name === 'switchyard_tokens_total'), [
      ['switchyard_tokens_total', ['gpt', 'dep-1', 'input'], 7],
      ['switchyard_tokens_total', ['gpt', 'dep-1', 'output'], 3],
    ]);
    const duration = delta.histograms.find(([name, labels]) => name === 'switchyard_request_duration_seconds' && labels[0] === 'gpt')!;
    assert.equal(duration[4], 1);
    assert.ok(Math.abs(duration[3] - 0.1) < 1e-9, 'duration is now - startedAt, in seconds');
    assert.equal(duration[2][4], 1, '0.1 s lands in the le=0.1 bucket (bounds are inclusive)');
    assert.deepEqual(delta.histograms.find(([name]) => name === 'switchyard_time_to_first_token_seconds')?.[1], ['team/*']);
    assert.ok(!JSON.stringify(sent).includes('alice'), 'user input never becomes a label');
    assert.deepEqual(delta.gauges, [['switchyard_in_flight_requests', [], 0]]);

    metrics.push();
    assert.equal(sent.length, 1, 'nothing changed: nothing is sent');
    metrics.requestStarted();
    metrics.requestEnded(facts({ modelGroup: 'gpt', stream: false }), 200, '/v1/chat/completions');
    metrics.push();
    const second = (sent[1] as { delta: MetricsDelta }).delta;
    assert.deepEqual(second.counters, [['switchyard_requests_total', ['gpt', '/v1/chat/completions', '200'], 1]]);
  });

  test('virtual keys: requests and spend by key alias and team, at most 200 aliases and 50 teams per worker, the rest other', () => {
    const { metrics, sent } = recorder();
    for (let i = 0; i < 260; i++) {
      metrics.requestStarted();
      const caller = { keyAlias: i === 0 ? null : `key-${i}`, teamId: `team-id-${i % 60}`, teamAlias: i % 60 === 1 ? 'platform' : null };
      metrics.requestEnded(facts({ modelGroup: 'gpt', stream: false, deployment, usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, cost: { usd: 0.5 }, caller }), 200, '/v1/chat/completions');
    }
    metrics.requestStarted();
    metrics.requestEnded(facts(), 200, '/v1/models'); // the master key: no caller, no key series
    metrics.push();
    const delta = (sent[0] as { delta: MetricsDelta }).delta;
    const requests = delta.counters.filter(([name]) => name === 'switchyard_key_requests_total');
    const spend = delta.counters.filter(([name]) => name === 'switchyard_key_spend_usd_total');
    assert.equal(requests.reduce((sum, [, , n]) => sum + n, 0), 260, 'every request counted');
    assert.equal(spend.reduce((sum, [, , n]) => sum + n, 0), 130);
    const aliases = new Set(requests.map(([, labels]) => labels[0]));
    const teams = new Set(requests.map(([, labels]) => labels[1]));
    assert.equal(aliases.size, 201, '200 aliases and other');
    assert.ok(aliases.has('unaliased') && aliases.has('other'));
    assert.equal(teams.size, 51, '50 teams and other');
    assert.ok(teams.has('platform'), "a team's alias, when it has one");
  });

  test('the in-flight gauge counts open requests but not /metrics scrapes', () => {
    const { metrics, sent } = recorder();
    metrics.requestStarted();
    metrics.requestStarted();
    const release = metrics.holdScrape();
    metrics.push();
    assert.deepEqual((sent.at(-1) as { delta: MetricsDelta }).delta.gauges, [['switchyard_in_flight_requests', [], 1]]);
    release();
    release(); // once only
    metrics.requestEnded(facts(), 200, '/metrics');
    metrics.push();
    assert.deepEqual((sent.at(-1) as { delta: MetricsDelta }).delta.gauges, [['switchyard_in_flight_requests', [], 1]]);
  });

  test('router events: attempts by outcome, retries, fallbacks, cooldowns, and the deployment state share', () => {
    const { metrics, sent } = recorder();
    const o = metrics.routerObserver;
    o.onAttempt({ modelGroup: 'gpt', deployment, ok: false, failure: 'transient', durationMs: 20 });
    o.onAttempt({ modelGroup: 'gpt', deployment, ok: true, durationMs: 30 });
    o.onRetry({ modelGroup: 'gpt', failure: 'transient' });
    o.onFallback({ from: 'gpt', to: 'backup', failure: 'rate_limited' });
    o.onCooldown({ deployment, reason: 'failures' });
    o.onDeploymentState({ deployment, coolingDown: true, healthy: true });
    metrics.push();
    const delta = (sent[0] as { delta: MetricsDelta }).delta;
    assert.deepEqual(delta.counters, [
      ['switchyard_upstream_requests_total', ['gpt', 'dep-1', 'transient'], 1],
      ['switchyard_upstream_requests_total', ['gpt', 'dep-1', 'ok'], 1],
      ['switchyard_retries_total', ['gpt', 'transient'], 1],
      ['switchyard_fallbacks_total', ['gpt', 'backup', 'rate_limited'], 1],
      ['switchyard_deployment_cooldowns_total', ['gpt', 'dep-1', 'failures'], 1],
    ]);
    assert.equal(delta.histograms[0]![4], 2);
    assert.deepEqual(delta.gauges[1], ['switchyard_deployment_state', ['gpt', 'dep-1'], 2]);
  });

  test('Redis availability: no series without Redis; pushed when it changes, as 1 or 0', () => {
    const { metrics, sent } = recorder();
    const redisGauges = () => sent.flatMap((m) => (m as { delta: MetricsDelta }).delta.gauges.filter(([name]) => name === 'switchyard_redis_available').map(([, , value]) => value));
    metrics.requestStarted();
    metrics.push();
    assert.deepEqual(redisGauges(), [], 'no Redis configured: no series');
    let up = true;
    metrics.watchRedis(() => up);
    metrics.push();
    metrics.push(); // nothing moved: nothing sent
    up = false;
    metrics.push();
    assert.deepEqual(redisGauges(), [1, 0]);
    assert.equal(sent.length, 3);
  });

  test('the final push waits for the acknowledgement, and gives up after its timeout', async () => {
    const { metrics, sent } = recorder();
    metrics.requestStarted();
    metrics.requestEnded(facts(), 200, '/x');
    const acked = metrics.flushFinal(1_000);
    const push = sent.at(-1) as { type: string; seq: number; final: boolean; delta: MetricsDelta };
    assert.equal(push.final, true);
    assert.equal(push.delta.counters.length, 1);
    metrics.receive({ type: 'metrics-ack', seq: push.seq + 1 }); // someone else's
    metrics.receive({ type: 'metrics-ack', seq: push.seq });
    assert.equal(await acked, true);
    assert.equal(await metrics.flushFinal(30), false);
  });

  test('a scrape sends this worker\'s changes along and ends with a reason when the primary is silent', async () => {
    const { metrics, sent } = recorder();
    metrics.requestStarted();
    metrics.requestEnded(facts(), 200, '/x');
    const answered = metrics.scrape(1_000);
    const request = sent.at(-1) as { type: string; id: number; delta: MetricsDelta };
    assert.equal(request.type, 'metrics-scrape');
    assert.equal(request.delta.counters.length, 1);
    metrics.receive({ type: 'metrics-text', id: request.id, text: 'the text' });
    assert.deepEqual(await answered, { ok: true, text: 'the text' });
    const silent = await metrics.scrape(30);
    assert.equal(silent.ok, false);
    assert.match((silent as { reason: string }).reason, /did not answer within 30 ms/);
  });
});

const delta = (counters: MetricsDelta['counters'], gauges: MetricsDelta['gauges'] = [], histograms: MetricsDelta['histograms'] = []): MetricsDelta =>
  ({ counters, histograms, gauges });
const render = (aggregator: MetricsAggregator) => renderFamilies(aggregator.families());
const REQUESTS = 'switchyard_requests_total';
const series = (group: string, status = '200') => `${REQUESTS}{model_group="${group}",route="/v1/chat/completions",status_code="${status}"}`;

describe('primary aggregation', () => {
  test('totals are summed over every worker that ever lived: an exit never lowers them', () => {
    const aggregator = new MetricsAggregator();
    aggregator.apply(101, delta([[REQUESTS, ['gpt', '/v1/chat/completions', '200'], 5]]));
    aggregator.apply(102, delta([[REQUESTS, ['gpt', '/v1/chat/completions', '200'], 7]]));
    assert.equal(samples(render(aggregator), REQUESTS).get(series('gpt')), 12);
    aggregator.workerGone(101);
    assert.equal(samples(render(aggregator), REQUESTS).get(series('gpt')), 12);
    // A push that was still in the channel when the worker exited still counts.
    aggregator.apply(101, delta([[REQUESTS, ['gpt', '/v1/chat/completions', '200'], 1]]));
    aggregator.apply(103, delta([[REQUESTS, ['gpt', '/v1/chat/completions', '200'], 2]]));
    assert.equal(samples(render(aggregator), REQUESTS).get(series('gpt')), 15);
  });

  test('gauges: a worker\'s share goes at exit and never comes back; each rule combines the live shares', () => {
    const aggregator = new MetricsAggregator();
    const inFlight = (a: MetricsAggregator) => samples(render(a), 'switchyard_in_flight_requests').get('switchyard_in_flight_requests');
    aggregator.apply(1, delta([], [['switchyard_in_flight_requests', [], 3]]));
    aggregator.apply(2, delta([], [['switchyard_in_flight_requests', [], 4]]));
    assert.equal(inFlight(aggregator), 7);
    aggregator.workerGone(1);
    assert.equal(inFlight(aggregator), 4);
    aggregator.apply(1, delta([], [['switchyard_in_flight_requests', [], 3]])); // late message from the dead worker
    assert.equal(inFlight(aggregator), 4);
    aggregator.workerGone(2);
    assert.equal(inFlight(aggregator), undefined, 'no live worker: no series');

    const memory = 'switchyard_worker_resident_memory_bytes';
    aggregator.setWorkerGauge(10, memory, ['0'], 100);
    aggregator.setWorkerGauge(11, memory, ['0'], 300);
    aggregator.setWorkerGauge(12, memory, ['1'], 50);
    const text = render(aggregator);
    assert.equal(samples(text, memory).get(`${memory}{slot="0"}`), 300, 'live-max per slot');
    assert.equal(samples(text, memory).get(`${memory}{slot="1"}`), 50);
  });

  test('each gauge rule over live shares: sum, max, min, most recent', () => {
    const shares = [{ value: 4, at: 7 }, { value: 9, at: 2 }, { value: 1, at: 5 }];
    assert.equal(combineShares('live-sum', shares), 14);
    assert.equal(combineShares('live-max', shares), 9);
    assert.equal(combineShares('live-min', shares), 1);
    assert.equal(combineShares('most-recent', shares), 4);
    assert.throws(() => combineShares('ever-sum', shares));
  });

  test('deployment state: 0 when no live worker cools it down, 1 when some do, 2 when all do; health raises it', () => {
    const aggregator = new MetricsAggregator();
    const state = 'switchyard_deployment_state';
    const at = () => samples(render(aggregator), state);
    aggregator.setDeployments([['gpt', 'a'], ['gpt', 'b']]);
    aggregator.apply(1, delta([], [[state, ['gpt', 'a'], 2]]));
    aggregator.apply(2, delta([], [[state, ['gpt', 'a'], 0]]));
    assert.equal(at().get(`${state}{model_group="gpt",deployment="a"}`), 1);
    assert.equal(at().get(`${state}{model_group="gpt",deployment="b"}`), 0);
    aggregator.apply(2, delta([], [[state, ['gpt', 'a'], 2]]));
    assert.equal(at().get(`${state}{model_group="gpt",deployment="a"}`), 2);
    aggregator.setHealthState('gpt', 'b', 2);
    assert.equal(at().get(`${state}{model_group="gpt",deployment="b"}`), 2);
    aggregator.workerGone(1);
    aggregator.workerGone(2);
    assert.equal(at().get(`${state}{model_group="gpt",deployment="a"}`), 0, 'the workers that saw the outage are gone');
  });

  test('entries that do not fit the catalogue are skipped and counted, the rest applied', () => {
    const aggregator = new MetricsAggregator();
    aggregator.apply(1, {
      counters: [
        [REQUESTS, ['gpt', '/r'], 1], // a label missing
        ['not_a_metric', [], 1],
        [REQUESTS, ['gpt', '/r', '200'], -4],
        ['switchyard_worker_restarts_total', ['crash'], 1], // primary-only
        [REQUESTS, ['gpt', '/v1/chat/completions', '200'], 2],
      ],
      histograms: [['switchyard_request_duration_seconds', ['gpt', '/r'], [1, 2], 1, 3]],
      gauges: 'nonsense',
    });
    aggregator.apply(1, null);
    assert.equal(aggregator.rejectedEntries, 6);
    assert.equal(samples(render(aggregator), REQUESTS).get(series('gpt')), 2);
  });
});

describe('primary metrics', () => {
  test('supervisor events: restarts by reason (a shutdown is none), workers by state, memory and lag by slot from pongs', async () => {
    const primary = await PrimaryMetrics.create<WorkerView>({ logger: createLogger({ level: 'info', pretty: false }), version: '9.9.9', deployments: [{ id: 'd1', modelName: 'gpt' }] });
    const workers: WorkerView[] = [{ pid: 1, slot: 0, state: 'ready' }, { pid: 2, slot: 1, state: 'draining', drainReason: 'max_requests' }, { pid: 3, slot: 1, state: 'booting' }];
    const replies: MetricsPrimaryMessage[] = [];
    primary.attach({ workers: () => workers, send: (_worker, message) => replies.push(message) });
    primary.onWorkerMessage(workers[0]!, { type: 'pong', seq: 1, stats: { served: 1, inFlight: 0, rssBytes: 5_000, eventLoopLagMs: 12 } } as { type: string });
    primary.onWorkerMessage(workers[1]!, { type: 'metrics-push', seq: 4, final: true, delta: delta([[REQUESTS, ['gpt', '/v1/chat/completions', '200'], 3]]) } as { type: string });
    assert.deepEqual(replies, [{ type: 'metrics-ack', seq: 4 }], 'a final push is acknowledged');
    primary.onWorkerExit(workers[1]!, 'drained');
    primary.onWorkerExit({ pid: 4, slot: 0, state: 'exited' }, 'crash');
    primary.onWorkerExit({ pid: 5, slot: 0, state: 'exited', drainReason: 'shutdown' }, 'drained');
    primary.onWorkerExit({ pid: 6, slot: 0, state: 'exited' }, 'shutdown');
    primary.recordHealthCheck({ modelGroup: 'gpt', deployment: 'd1', healthy: false, durationMs: 40 });
    primary.setDeploymentHealth('gpt', 'd1', 2);
    const text = await primary.render();
    assert.equal(sample1(text, 'switchyard_worker_restarts_total{reason="max_requests"}'), 1);
    assert.equal(sample1(text, 'switchyard_worker_restarts_total{reason="crash"}'), 1);
    assert.equal(sample1(text, 'switchyard_worker_restarts_total{reason="reload"}'), 0);
    assert.equal(sample1(text, 'switchyard_workers{state="ready"}'), 1);
    assert.equal(sample1(text, 'switchyard_workers{state="booting"}'), 1);
    assert.equal(sample1(text, 'switchyard_worker_resident_memory_bytes{slot="0"}'), 5_000);
    assert.equal(sample1(text, 'switchyard_worker_event_loop_lag_seconds{slot="0"}'), 0.012);
    assert.equal(sample1(text, series('gpt')), 3);
    assert.equal(sample1(text, 'switchyard_health_checks_total{model_group="gpt",deployment="d1",result="unhealthy"}'), 1);
    assert.equal(sample1(text, 'switchyard_health_check_duration_seconds_bucket{model_group="gpt",deployment="d1",le="0.05"}'), 1);
    assert.equal(sample1(text, 'switchyard_health_check_duration_seconds_bucket{model_group="gpt",deployment="d1",le="0.025"}'), 0);
    assert.equal(sample1(text, 'switchyard_deployment_state{model_group="gpt",deployment="d1"}'), 2);
    assert.equal(sample1(text, 'switchyard_build_info{version="9.9.9"}'), 1);
    assert.match(text, /^process_cpu_seconds_total [\d.e+-]+$/m);
  });
});

function sample1(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('exposition', () => {
  test('histograms are cumulative with +Inf, _sum and _count; label values are escaped', () => {
    const aggregator = new MetricsAggregator();
    const counts = new Array<number>(16).fill(0);
    counts[0] = 2; // le 0.005
    counts[15] = 1; // above 300 s
    aggregator.apply(1, delta([], [], [['switchyard_request_duration_seconds', ['we"ird\\group\n', '/r'], counts, 400.004, 3]]));
    const text = render(aggregator);
    const labels = 'model_group="we\\"ird\\\\group\\n",route="/r"';
    assert.ok(text.includes(`switchyard_request_duration_seconds_bucket{${labels},le="0.005"} 2\n`));
    assert.ok(text.includes(`switchyard_request_duration_seconds_bucket{${labels},le="300"} 2\n`));
    assert.ok(text.includes(`switchyard_request_duration_seconds_bucket{${labels},le="+Inf"} 3\n`));
    assert.ok(text.includes(`switchyard_request_duration_seconds_count{${labels}} 3\n`));
    assert.ok(text.includes('# TYPE switchyard_request_duration_seconds histogram\n'));
  });
});

describe('catalogue', () => {
  test('names follow the Prometheus rules: prefix, base units, _total for counters only', () => {
    const names = new Set<string>();
    for (const spec of METRICS) {
      assert.ok(!names.has(spec.name), `${spec.name} twice`);
      names.add(spec.name);
      assert.match(spec.name, /^switchyard_[a-z_]+$/);
      assert.equal(spec.name.endsWith('_total'), spec.type === 'counter', `${spec.name}: _total exactly for counters`);
      assert.ok(!/_(ms|milliseconds|mb|kb)(_|$)/.test(spec.name), `${spec.name}: base units`);
      assert.equal(spec.type === 'histogram', 'buckets' in spec, `${spec.name}: buckets exactly for histograms`);
      for (const label of spec.labels) assert.match(label, /^[a-z][a-z_]*$/);
      assert.ok(!(spec.labels as readonly string[]).includes('le'));
      if (spec.type !== 'gauge') assert.ok(spec.combine === 'ever-sum' || spec.combine === 'primary', `${spec.name}: totals are never live-only`);
    }
  });

  test('docs/metrics.md describes every metric with its labels', () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    for (const spec of METRICS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${spec.name}\``));
      assert.ok(row, `docs/metrics.md has no row for ${spec.name}`);
      for (const label of spec.labels) assert.ok(row.includes(`\`${label}\``), `${spec.name}: label ${label} not in its docs row`);
      assert.ok(row.includes(spec.combine), `${spec.name}: combine rule ${spec.combine} not in its docs row`);
    }
  });
});
