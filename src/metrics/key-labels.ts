import { OTHER_MODEL_GROUP } from './catalogue.js';

/**
 * Label values from a set that grows at run time (virtual keys' aliases and teams), kept bounded:
 * the first `cap` distinct values a worker sees are labels, every later one is `other`. A worker
 * thus adds at most `cap` + 1 values per label, whatever the number of keys.
 */
export class CappedLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly cap: number) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.cap) return OTHER_MODEL_GROUP;
    this.seen.add(value);
    return value;
  }
}
