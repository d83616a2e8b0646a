import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { METRICS, METRICS_BY_NAME } from '../../src/metrics/catalogue.js';
import { catalogueName, dashboardPanels, dashboardQueries, DEPLOY, loadAlertRules, loadDashboard, metricNames, REPO_ROOT } from '../support/deploy-files.js';

/**
 * The dashboard and the alert rules against the metric catalogue: a renamed metric must fail here,
 * not leave a panel empty or an alert silent. (Their queries run against a real Prometheus in
 * test/integration/deploy-prometheus.test.ts.)
 */

const HISTOGRAMS = new Set<string>(METRICS.filter((spec) => spec.type === 'histogram').map((spec) => spec.name));

/** prom-client's default process metrics, which the primary exposes besides the catalogue (docs/metrics.md). */
const PROCESS_METRICS = new Set(['process_resident_memory_bytes']);

function unknownNames(exprs: string[]): string[] {
  return exprs.flatMap(metricNames).filter((name) => !METRICS_BY_NAME.has(catalogueName(name, HISTOGRAMS)) && !PROCESS_METRICS.has(name));
}

test('every metric the dashboard queries is in the metric catalogue', () => {
  const queries = dashboardQueries();
  assert.ok(queries.length >= 20, `only ${queries.length} queries`);
  assert.deepEqual(unknownNames(queries.map((query) => query.expr)), []);
  for (const name of PROCESS_METRICS) assert.match(readFileSync(`${REPO_ROOT}docs/metrics.md`, 'utf8'), new RegExp(name.replace(/_[a-z]+$/, '')));
});

test('every metric the alert rules read is in the metric catalogue', () => {
  const rules = loadAlertRules();
  assert.ok(rules.length >= 8);
  assert.deepEqual(unknownNames(rules.map((rule) => rule.expr)), []);
});

test('the names check catches a metric the catalogue does not have', () => {
  assert.deepEqual(unknownNames(['sum(rate(switchyard_request_total[5m]))', 'histogram_quantile(0.9, rate(switchyard_overhead_duration_seconds_bucket[1m]))']), ['switchyard_request_total']);
});

test('lost spend log rows and a spend log backlog each have an alert', () => {
  const reads = (name: string) => loadAlertRules().filter((rule) => metricNames(rule.expr).includes(name)).map((rule) => rule.alert);
  assert.deepEqual(reads('switchyard_spend_log_rows_dropped_total'), ['SwitchyardSpendLogRowsDropped']);
  assert.deepEqual(reads('switchyard_spend_log_rows_pending'), ['SwitchyardSpendLogBacklog']);
});

test('every alert has a severity, a summary and a runbook line', () => {
  for (const rule of loadAlertRules()) {
    assert.match(rule.alert, /^Switchyard[A-Z]\w+$/);
    assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
    assert.ok((rule.annotations?.summary ?? '').length > 10, `${rule.alert}: summary`);
    assert.ok((rule.annotations?.runbook ?? '').length > 40, `${rule.alert}: runbook`);
  }
});

test('the dashboard covers the issue\'s topics, its panels use the datasource variable and have unique titles', () => {
  const dashboard = loadDashboard();
  const panels = dashboardPanels(dashboard);
  const titles = panels.map((panel) => panel.title);
  assert.equal(new Set(titles).size, titles.length, 'duplicate panel titles');
  for (const panel of panels) assert.equal(panel.datasource?.uid, '${datasource}', `${panel.title}: datasource`);
  const used = new Set(dashboardQueries(dashboard).flatMap((query) => metricNames(query.expr)).map((name) => catalogueName(name, HISTOGRAMS)));
  for (const name of [
    'switchyard_requests_total', 'switchyard_upstream_requests_total', 'switchyard_request_duration_seconds', 'switchyard_overhead_duration_seconds',
    'switchyard_time_to_first_token_seconds', 'switchyard_in_flight_requests', 'switchyard_worker_restarts_total', 'switchyard_workers',
    'switchyard_health_checks_total', 'switchyard_deployment_state', 'switchyard_deployment_cooldowns_total', 'switchyard_redis_available',
    // Spend and the response cache.
    'switchyard_spend_usd_total', 'switchyard_unpriced_calls_total', 'switchyard_spend_log_rows_pending', 'switchyard_spend_log_rows_written_total',
    'switchyard_spend_log_rows_dropped_total', 'switchyard_cache_requests_total', 'switchyard_cache_stores_total', 'switchyard_cache_stored_bytes_total',
    'switchyard_cache_saved_usd_total',
  ]) assert.ok(used.has(name), `no panel shows ${name}`);
  assert.ok(readFileSync(DEPLOY('grafana/switchyard.json'), 'utf8').endsWith('\n'));
});
