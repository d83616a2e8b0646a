import type { Random } from '../core/index.js';

/**
 * A worker's request limit: base + a uniformly random whole number in [0, jitter], both ends
 * included (as uvicorn/gunicorn draw it), drawn anew for every worker spawned.
 */
export function drawRequestLimit(base: number | undefined, jitter: number, random: Random): number | undefined {
  if (base === undefined) return undefined;
  return base + Math.min(jitter, Math.floor(random() * (jitter + 1)));
}
