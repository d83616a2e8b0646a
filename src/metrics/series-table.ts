/**
 * Series of one metric in a worker, found by up to three label values through nested maps: no
 * key string is built and nothing is allocated per observation once a series exists. Each series
 * holds only what changed since the last push (a delta); the table remembers which ones changed,
 * so a push costs what changed, not what exists.
 */

export interface CounterSeries {
  readonly labels: readonly string[];
  delta: number;
  dirty: boolean;
}

export interface HistogramSeries {
  readonly labels: readonly string[];
  /** Per bucket (not cumulative), the last one is +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
  dirty: boolean;
}

type Level<S> = Map<string, Map<string, Map<string, S>>>;

class SeriesTable<S extends { dirty: boolean }> {
  private readonly root: Level<S> = new Map();
  protected readonly changed: S[] = [];

  constructor(private readonly arity: number, private readonly create: (labels: string[]) => S) {}

  protected at(a: string, b: string, c: string): S {
    let second = this.root.get(a);
    if (second === undefined) this.root.set(a, (second = new Map()));
    let third = second.get(b);
    if (third === undefined) second.set(b, (third = new Map()));
    let series = third.get(c);
    if (series === undefined) third.set(c, (series = this.create([a, b, c].slice(0, this.arity))));
    return series;
  }

  protected touch(series: S): void {
    if (series.dirty) return;
    series.dirty = true;
    this.changed.push(series);
  }
}

export class CounterTable extends SeriesTable<CounterSeries> {
  constructor(arity: number) {
    super(arity, (labels) => ({ labels, delta: 0, dirty: false }));
  }

  /**
   * Makes the series exist at 0 (pushed once as a zero delta): a counter that appears only with
   * its first increment is invisible to `increase()` for that increment (Prometheus has no sample
   * before it), so an alert on its first rise would never fire.
   */
  start(a = '', b = '', c = ''): void {
    this.touch(this.at(a, b, c));
  }

  add(value: number, a = '', b = '', c = ''): void {
    if (!(value > 0)) return; // counters only go up; NaN and negatives are dropped
    const series = this.at(a, b, c);
    series.delta += value;
    this.touch(series);
  }

  /** Hands over every changed series' delta and starts the next interval at zero. */
  drain(out: Array<[string, string[], number]>, name: string): void {
    for (const series of this.changed) {
      out.push([name, [...series.labels], series.delta]);
      series.delta = 0;
      series.dirty = false;
    }
    this.changed.length = 0;
  }
}

export class HistogramTable extends SeriesTable<HistogramSeries> {
  constructor(arity: number, private readonly buckets: readonly number[]) {
    super(arity, (labels) => ({ labels, counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0, dirty: false }));
  }

  observe(value: number, a = '', b = '', c = ''): void {
    if (!Number.isFinite(value)) return;
    const series = this.at(a, b, c);
    const bounds = this.buckets;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (series.counts[i] as number)++;
    series.sum += value;
    series.count++;
    this.touch(series);
  }

  drain(out: Array<[string, string[], number[], number, number]>, name: string): void {
    for (const series of this.changed) {
      out.push([name, [...series.labels], [...series.counts], series.sum, series.count]);
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
      series.dirty = false;
    }
    this.changed.length = 0;
  }
}
