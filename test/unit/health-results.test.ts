import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigText, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/core/index.js';
import { healthKeys, isScheduled, parseSharedResults, publicApiBase, toSharedResults, type HealthRound } from '../../src/health/index.js';
import { buildReport } from '../../src/health/health-report.js';
import { endpointEntry } from '../../src/health/endpoint-entry.js';
import { FixedRateSchedule } from '../../src/health/fixed-rate-schedule.js';

/** The pure parts of the health checks: the shared results format, entries, reports, keys, the schedule. */

function config(models: Array<Record<string, unknown>>): Config {
  const loaded = loadConfigText(stringify({ model_list: models }), null, { env: {} });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  return loaded.value.config;
}

const cfg = config([
  { model_name: 'g', litellm_params: { model: 'openai/a', api_base: 'https://user:pw@example.com/v1/?key=secret', api_key: 'sk-abcdefghijkl' }, model_info: { id: 'a' } },
  { model_name: 'g', litellm_params: { model: 'azure/b', api_base: 'https://b.example.com', api_version: '2024-10-21', api_key: 'k' }, model_info: { id: 'b', mode: 'embedding' } },
  { model_name: 'skipped', litellm_params: { model: 'openai/c' }, model_info: { id: 'c', disable_background_health_check: true } },
  { model_name: 'w/*', litellm_params: { model: 'openai/*' }, model_info: { id: 'w' } },
]);
const byId = new Map(cfg.deployments.map((d) => [d.id, d]));
const round: HealthRound = { timestamp: 1_700_000_000_500, checkedBy: 'host-1-abc', results: [{ id: 'a', healthy: true }, { id: 'b', healthy: false, error: 'boom' }] };

describe('shared results', () => {
  test('round-trip through the stored shape, in LiteLLM\'s field names', () => {
    const shared = toSharedResults(round, byId);
    assert.deepEqual(Object.keys(shared).sort(), ['checked_by', 'healthy_count', 'healthy_endpoints', 'timestamp', 'unhealthy_count', 'unhealthy_endpoints']);
    assert.equal(shared.timestamp, 1_700_000_000.5);
    assert.equal(shared.healthy_count, 1);
    assert.equal(shared.unhealthy_endpoints[0]?.error, 'boom');
    assert.deepEqual(parseSharedResults(JSON.stringify(shared)), round);
  });

  test('anything else parses to undefined, never throws', () => {
    for (const text of [null, undefined, '', 'not json', '42', '{}', '{"timestamp":"x","checked_by":"h","healthy_endpoints":[],"unhealthy_endpoints":[]}', '{"timestamp":1,"checked_by":"h","healthy_endpoints":{}}']) {
      assert.equal(parseSharedResults(text), undefined, String(text));
    }
  });
});

describe('entries and reports', () => {
  test('api_base keeps scheme, host and path only', () => {
    assert.equal(publicApiBase('https://user:pw@example.com/v1/?key=secret'), 'https://example.com/v1');
    assert.equal(publicApiBase('not a url'), undefined);
    assert.equal(publicApiBase(undefined), undefined);
  });

  test('with health_check_details off an entry is the model and its id only', () => {
    assert.deepEqual(endpointEntry(byId.get('b')!, 'boom', false), { model: 'azure/b', model_id: 'b' });
    assert.deepEqual(endpointEntry(byId.get('b')!, 'boom', true), { model: 'azure/b', model_id: 'b', api_base: 'https://b.example.com', api_version: '2024-10-21', mode: 'embedding', error: 'boom' });
  });

  test('503 only when targeted and nothing is healthy; age from the round', () => {
    const results = new Map(round.results.map((r) => [r.id, r]));
    const all = buildReport({ deployments: cfg.deployments, results, details: true, targeted: false, round, now: round.timestamp + 1_500 });
    assert.equal(all.status, 200);
    assert.equal(all.body.age_seconds, 1.5);
    assert.equal(all.body.checked_by, 'host-1-abc');
    const onlyB = buildReport({ deployments: [byId.get('b')!], results, details: true, targeted: true, round, now: round.timestamp });
    assert.equal(onlyB.status, 503);
    const unchecked = buildReport({ deployments: [byId.get('c')!], results, details: true, targeted: true, round: undefined, now: 0 });
    assert.equal(unchecked.status, 503);
    assert.equal(unchecked.body.timestamp, null);
  });

  test('the schedule skips disabled and wildcard deployments', () => {
    assert.deepEqual(cfg.deployments.filter(isScheduled).map((d) => d.id), ['a', 'b']);
  });

  test('keys are namespaced and name the scheduled set, whatever its order', () => {
    const key = (group: string, ...parts: string[]) => `ns:{ns:${group}}:${parts.join(':')}`;
    const [a, b] = cfg.deployments;
    const one = healthKeys(key, [a!, b!]);
    assert.deepEqual(healthKeys(key, [b!, a!]), one);
    assert.notEqual(healthKeys(key, [a!]).lock, one.lock);
    // Lock and results are read by one MGET: they must share a hash tag (one slot on a cluster).
    assert.match(one.lock, /^ns:\{ns:health:[0-9a-f]{12}\}:lock$/);
    assert.equal(one.results.replace(/:results$/, ''), one.lock.replace(/:lock$/, ''));
  });
});

describe('fixed-rate schedule', () => {
  test('rounds start on multiples of the interval, never overlap, and a long round skips ticks', async () => {
    const interval = 40;
    const starts: number[] = [];
    let running = 0;
    let overlapped = false;
    const schedule = new FixedRateSchedule(interval, async (tickAt) => {
      starts.push(tickAt);
      if (++running > 1) overlapped = true;
      // The first round outlasts two ticks; the rest are quick.
      await new Promise((resolve) => setTimeout(resolve, starts.length === 1 ? 2.5 * interval : 1));
      running--;
    }, createLogger({ level: 'silent' }));
    schedule.start();
    await new Promise((resolve) => setTimeout(resolve, 8 * interval));
    schedule.stop();
    const first = starts[0]!;
    const ticks = starts.map((t) => (t - first) / interval);
    assert.ok(!overlapped);
    for (const tick of ticks) assert.ok(Number.isInteger(tick), `tick ${tick} is a whole number of intervals`);
    assert.equal(ticks[1], 3, `ticks 1 and 2 fell inside the first round: ${ticks.join(',')}`);
    assert.ok(ticks.length >= 4, `kept ticking: ${ticks.join(',')}`);
  });
});
