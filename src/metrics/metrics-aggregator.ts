import { METRICS, METRICS_BY_NAME, type MetricName, type MetricSpec } from './catalogue.js';
import type { MetricsDelta } from './metrics-messages.js';

export interface CounterState {
  readonly labels: readonly string[];
  value: number;
}

export interface HistogramState {
  readonly labels: readonly string[];
  /** Per bucket, not cumulative; +Inf last. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface GaugeSample {
  readonly labels: readonly string[];
  value: number;
}

interface GaugeShare extends GaugeSample {
  /** Order of arrival, for `most-recent`. */
  at: number;
}

/** One family's samples as the exposition writes them. */
export type FamilySamples =
  | { spec: MetricSpec; kind: 'counter' | 'gauge'; samples: Iterable<GaugeSample | CounterState> }
  | { spec: MetricSpec; kind: 'histogram'; samples: Iterable<HistogramState> };

const SEPARATOR = '\u0001';
const keyOf = (labels: readonly string[]): string => labels.join(SEPARATOR);

/**
 * The host's one true metric state, in the primary. Counters and histograms accumulate every
 * delta from every worker that ever lived (and the primary's own); they never go down. Gauges are
 * kept per live worker (its "share") and combined at exposition by the catalogue's rule; a
 * worker's share is dropped when it exits.
 */
export class MetricsAggregator {
  private readonly counters = new Map<string, Map<string, CounterState>>();
  private readonly histograms = new Map<string, Map<string, HistogramState>>();
  /** Live workers' gauge shares: pid → metric → label key → share. */
  private readonly shares = new Map<number, Map<string, Map<string, GaugeShare>>>();
  /** Workers gone: late messages still add to totals but never bring a gauge share back. */
  private readonly gone = new Set<number>();
  private readonly primaryGauges = new Map<string, Map<string, GaugeSample>>();
  /** Deployments the config names, so that their state series exist (at 0) before anything happens. */
  private deployments: Array<readonly [string, string]> = [];
  /** The primary's health verdicts per deployment (0, 1 or 2). */
  private readonly healthStates = new Map<string, GaugeSample>();
  private arrivals = 0;
  private rejected = 0;

  /** Applies one worker's changes. Entries that do not fit the catalogue are skipped and counted. */
  apply(pid: number, delta: unknown): void {
    if (typeof delta !== 'object' || delta === null) return void this.rejected++;
    const { counters, histograms, gauges } = delta as Partial<Record<keyof MetricsDelta, unknown>>;
    for (const entry of asArray(counters)) {
      const [name, labels, value] = asArray(entry);
      const spec = workerSpec(name, 'counter', labels);
      if (spec === undefined || !isCount(value)) this.rejected++;
      else this.addCounter(spec.name, labels as string[], value);
    }
    for (const entry of asArray(histograms)) {
      const [name, labels, counts, sum, count] = asArray(entry);
      const spec = workerSpec(name, 'histogram', labels);
      const fits = spec !== undefined && Array.isArray(counts) && counts.length === (spec.buckets?.length ?? 0) + 1 && counts.every(isCount)
        && typeof sum === 'number' && Number.isFinite(sum) && isCount(count);
      if (!fits) this.rejected++;
      else this.addHistogram(spec.name, labels as string[], counts as number[], sum, count);
    }
    if (this.gone.has(pid)) return;
    for (const entry of asArray(gauges)) {
      const [name, labels, value] = asArray(entry);
      const spec = workerSpec(name, 'gauge', labels);
      if (spec === undefined || typeof value !== 'number' || !Number.isFinite(value)) this.rejected++;
      else this.setShare(pid, spec.name, labels as string[], value);
    }
  }

  /** A gauge share the primary records on a worker's behalf (memory and lag from its pongs). */
  setWorkerGauge(pid: number, name: MetricName, labels: readonly string[], value: number): void {
    if (!this.gone.has(pid)) this.setShare(pid, name, labels, value);
  }

  /** The worker exited: its gauge shares go; its totals stay. */
  workerGone(pid: number): void {
    this.shares.delete(pid);
    this.gone.add(pid);
    // pids are reused only after a long while; a bounded memory of the recent ones is enough.
    if (this.gone.size > 10_000) this.gone.delete(this.gone.values().next().value as number);
  }

  addCounter(name: MetricName | string, labels: readonly string[], value: number): void {
    let family = this.counters.get(name);
    if (family === undefined) this.counters.set(name, (family = new Map()));
    const key = keyOf(labels);
    const state = family.get(key);
    if (state === undefined) family.set(key, { labels: [...labels], value });
    else state.value += value;
  }

  addHistogram(name: MetricName | string, labels: readonly string[], counts: readonly number[], sum: number, count: number): void {
    let family = this.histograms.get(name);
    if (family === undefined) this.histograms.set(name, (family = new Map()));
    const key = keyOf(labels);
    const state = family.get(key);
    if (state === undefined) {
      family.set(key, { labels: [...labels], counts: [...counts], sum, count });
      return;
    }
    for (let i = 0; i < counts.length; i++) state.counts[i] = (state.counts[i] as number) + (counts[i] as number);
    state.sum += sum;
    state.count += count;
  }

  /** One observation the primary makes itself (health check durations). */
  observe(name: MetricName, labels: readonly string[], value: number): void {
    const buckets = METRICS_BY_NAME.get(name)?.buckets ?? [];
    const counts = new Array<number>(buckets.length + 1).fill(0);
    let i = 0;
    while (i < buckets.length && value > (buckets[i] as number)) i++;
    counts[i] = 1;
    this.addHistogram(name, labels, counts, value, 1);
  }

  setPrimaryGauge(name: MetricName, labels: readonly string[], value: number): void {
    let family = this.primaryGauges.get(name);
    if (family === undefined) this.primaryGauges.set(name, (family = new Map()));
    family.set(keyOf(labels), { labels: [...labels], value });
  }

  setDeployments(deployments: ReadonlyArray<readonly [modelGroup: string, id: string]>): void {
    this.deployments = [...deployments];
  }

  /** The health checks' verdict for a deployment: 0 healthy, 1 partial, 2 outage; undefined forgets it. */
  setHealthState(modelGroup: string, deployment: string, state: 0 | 1 | 2 | undefined): void {
    const key = keyOf([modelGroup, deployment]);
    if (state === undefined) this.healthStates.delete(key);
    else this.healthStates.set(key, { labels: [modelGroup, deployment], value: state });
  }

  /** Entries that did not fit the catalogue (a bug, never user input): for a log line. */
  get rejectedEntries(): number {
    return this.rejected;
  }

  /** Every family in catalogue order, gauges combined by their rule. */
  *families(): Generator<FamilySamples> {
    for (const spec of METRICS as readonly MetricSpec[]) {
      if (spec.type === 'histogram') {
        yield { spec, kind: 'histogram', samples: this.histograms.get(spec.name)?.values() ?? [] };
      } else if (spec.type === 'counter') {
        yield { spec, kind: 'counter', samples: this.counters.get(spec.name)?.values() ?? [] };
      } else {
        yield { spec, kind: 'gauge', samples: this.gauge(spec) };
      }
    }
  }

  private gauge(spec: MetricSpec): Iterable<GaugeSample> {
    switch (spec.combine) {
      case 'primary': return this.primaryGauges.get(spec.name)?.values() ?? [];
      case 'outage-share': return this.deploymentStates(spec.name);
      default: return this.combineShares(spec);
    }
  }

  private combineShares(spec: MetricSpec): GaugeSample[] {
    const byKey = new Map<string, GaugeShare[]>();
    for (const byMetric of this.shares.values()) {
      for (const share of byMetric.get(spec.name)?.values() ?? []) {
        const key = keyOf(share.labels);
        const list = byKey.get(key);
        if (list === undefined) byKey.set(key, [share]);
        else list.push(share);
      }
    }
    return [...byKey.values()].map((shares) => ({ labels: (shares[0] as GaugeShare).labels, value: combineShares(spec.combine, shares) }));
  }

  private deploymentStates(name: string): GaugeSample[] {
    const out = new Map<string, GaugeSample>();
    for (const [group, id] of this.deployments) out.set(keyOf([group, id]), { labels: [group, id], value: 0 });
    const outages = new Map<string, number>();
    for (const byMetric of this.shares.values()) {
      for (const share of byMetric.get(name)?.values() ?? []) {
        const key = keyOf(share.labels);
        if (!out.has(key)) out.set(key, { labels: share.labels, value: 0 });
        if (share.value >= 2) outages.set(key, (outages.get(key) ?? 0) + 1);
      }
    }
    const live = this.shares.size;
    for (const [key, count] of outages) (out.get(key) as GaugeSample).value = count >= live ? 2 : 1;
    for (const [key, health] of this.healthStates) {
      const sample = out.get(key);
      if (sample === undefined) out.set(key, { ...health });
      else sample.value = Math.max(sample.value, health.value);
    }
    return [...out.values()];
  }

  private setShare(pid: number, name: string, labels: readonly string[], value: number): void {
    let byMetric = this.shares.get(pid);
    if (byMetric === undefined) this.shares.set(pid, (byMetric = new Map()));
    let family = byMetric.get(name);
    if (family === undefined) byMetric.set(name, (family = new Map()));
    const key = keyOf(labels);
    const share = family.get(key);
    if (share === undefined) family.set(key, { labels: [...labels], value, at: ++this.arrivals });
    else {
      share.value = value;
      share.at = ++this.arrivals;
    }
  }
}

/** One gauge series' value from the live workers' shares (`at`: order of arrival). */
export function combineShares(rule: MetricSpec['combine'], shares: ReadonlyArray<{ value: number; at: number }>): number {
  const values = shares.map((share) => share.value);
  switch (rule) {
    case 'live-sum': return values.reduce((sum, value) => sum + value, 0);
    case 'live-max': return Math.max(...values);
    case 'live-min': return Math.min(...values);
    case 'most-recent': return shares.reduce((latest, share) => (share.at > latest.at ? share : latest)).value;
    default: throw new Error(`gauge rule ${rule} does not combine shares`);
  }
}

function workerSpec(name: unknown, type: MetricSpec['type'], labels: unknown): MetricSpec | undefined {
  const spec = typeof name === 'string' ? METRICS_BY_NAME.get(name) : undefined;
  if (spec === undefined || spec.type !== type || spec.source !== 'worker') return undefined;
  if (!Array.isArray(labels) || labels.length !== spec.labels.length || !labels.every((v) => typeof v === 'string')) return undefined;
  return spec;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
