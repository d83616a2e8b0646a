import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The operations kit in deploy/ as data for tests: the Grafana dashboard's panels and queries,
 * the Prometheus alert rules and their promtool unit tests, and the metric names they use.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY = (path: string): string => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ refId: string; expr: string }>;
  panels?: DashboardPanel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; query?: string | { query: string }; allValue?: string }> };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DEPLOY('grafana/switchyard.json'), 'utf8')) as Dashboard;
}

/** Every panel with queries (rows' nested panels included). */
export function dashboardPanels(dashboard: Dashboard = loadDashboard()): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
}

export function dashboardQueries(dashboard: Dashboard = loadDashboard()): PanelQuery[] {
  return dashboardPanels(dashboard).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, refId: target.refId, expr: target.expr })));
}

/**
 * A Grafana query as Prometheus receives it: the template variables at "All" (their allValue) and
 * `$__rate_interval` as the given range.
 */
export function interpolate(expr: string, rateInterval: string, dashboard: Dashboard = loadDashboard()): string {
  let text = expr.replaceAll('$__rate_interval', rateInterval);
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query') continue;
    const value = variable.allValue ?? '.*';
    text = text.replaceAll(`\${${variable.name}}`, value).replaceAll(`$${variable.name}`, value);
  }
  if (text.includes('$')) throw new Error(`a template variable is left in: ${text}`);
  return text;
}

/** `label_values(<selector>, <label>)` as the PromQL Grafana sends for it (a group by). */
export function variableQueries(dashboard: Dashboard = loadDashboard()): Array<{ name: string; label: string; expr: string }> {
  return dashboard.templating.list.flatMap((variable) => {
    if (variable.type !== 'query') return [];
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query ?? '';
    const match = /^label_values\((.+),\s*([a-z_]+)\)$/.exec(query.trim());
    if (!match) throw new Error(`variable ${variable.name}: not a label_values() query: ${query}`);
    return [{ name: variable.name, label: match[2]!, expr: `group by (${match[2]}) (${match[1]})` }];
  });
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadAlertRules(): AlertRule[] {
  const file = parse(readFileSync(DEPLOY('prometheus/alerts.yaml'), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
  return file.groups.flatMap((group) => group.rules);
}

export interface AlertTestCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[];
}

export function loadAlertTests(): AlertTestCase[] {
  const file = parse(readFileSync(DEPLOY('prometheus/alerts.test.yaml'), 'utf8')) as { tests: Array<{ alert_rule_test?: AlertTestCase[] }> };
  return file.tests.flatMap((test) => test.alert_rule_test ?? []);
}

/** The metric names a PromQL expression reads (ours and the primary's process metrics). */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:switchyard|process|nodejs)_[a-z0-9_]+)\b/g)].map((match) => match[1]!))];
}

/** A histogram's series name (`_bucket`, `_sum`, `_count`) as the catalogue names the histogram. */
export function catalogueName(series: string, histograms: ReadonlySet<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (series.endsWith(suffix) && histograms.has(series.slice(0, -suffix.length))) return series.slice(0, -suffix.length);
  }
  return series;
}
