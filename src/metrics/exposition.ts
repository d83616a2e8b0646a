import type { FamilySamples, GaugeSample, HistogramState } from './metrics-aggregator.js';

/** Prometheus text exposition format, version 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Writes the families as exposition text: HELP and TYPE for each, then its samples. */
export function renderFamilies(families: Iterable<FamilySamples>): string {
  const out: string[] = [];
  for (const family of families) {
    const { spec } = family;
    out.push(`# HELP ${spec.name} ${escapeHelp(spec.help)}`, `# TYPE ${spec.name} ${spec.type}`);
    if (family.kind === 'histogram') {
      for (const sample of family.samples) writeHistogram(out, spec.name, spec.labels, spec.buckets ?? [], sample);
    } else {
      for (const sample of family.samples) out.push(`${spec.name}${labelSet(spec.labels, sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return out.join('\n') + '\n';
}

function writeHistogram(out: string[], name: string, names: readonly string[], buckets: readonly number[], sample: HistogramState): void {
  let cumulative = 0;
  for (let i = 0; i < buckets.length; i++) {
    cumulative += sample.counts[i] as number;
    out.push(`${name}_bucket${labelSet(names, sample.labels, formatValue(buckets[i] as number))} ${cumulative}`);
  }
  out.push(`${name}_bucket${labelSet(names, sample.labels, '+Inf')} ${sample.count}`);
  out.push(`${name}_sum${labelSet(names, sample.labels)} ${formatValue(sample.sum)}`);
  out.push(`${name}_count${labelSet(names, sample.labels)} ${sample.count}`);
}

function labelSet(names: readonly string[], values: GaugeSample['labels'], le?: string): string {
  const pairs: string[] = [];
  for (let i = 0; i < names.length; i++) pairs.push(`${names[i]}="${escapeLabel(values[i] ?? '')}"`);
  if (le !== undefined) pairs.push(`le="${le}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
