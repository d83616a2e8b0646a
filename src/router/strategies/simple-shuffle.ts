import type { DeploymentParams } from '../../config/index.js';
import type { Member } from '../group-member.js';
import type { Strategy } from './strategy.js';

type WeightKey = 'weight' | 'rpm' | 'tpm';

/**
 * `simple-shuffle`: a random draw, weighted by `weight` when any member sets it, else by `rpm`,
 * else by `tpm`, else uniform. When every weight is 0 the draw is uniform.
 *
 * A member without the chosen key is not dropped: a missing `weight` counts as 1, a missing
 * `rpm`/`tpm` as the mean of those set. (LiteLLM gives it 0, so adding `weight: 2` to one
 * deployment silently takes its unweighted siblings out of service; nobody means that.)
 */
export const simpleShuffle: Strategy = (pool, request) => {
  const key = weightKey(pool);
  if (key !== undefined) {
    const fallback = missingWeight(pool, key);
    let total = 0;
    for (const member of pool) total += weightOf(member, key, fallback);
    if (total > 0) {
      let remaining = request.random() * total;
      let last: Member | undefined;
      for (const member of pool) {
        const weight = weightOf(member, key, fallback);
        if (weight <= 0) continue;
        last = member;
        remaining -= weight;
        if (remaining < 0) return member;
      }
      if (last !== undefined) return last; // rounding at the very top of the range
    }
  }
  return pool[Math.floor(request.random() * pool.length)] ?? (pool[0] as Member);
};

function weightKey(pool: readonly Member[]): WeightKey | undefined {
  let rpm = false;
  let tpm = false;
  for (const member of pool) {
    const params: DeploymentParams = member.deployment.params;
    if (params.weight !== undefined) return 'weight';
    if (params.rpm !== undefined) rpm = true;
    if (params.tpm !== undefined) tpm = true;
  }
  return rpm ? 'rpm' : tpm ? 'tpm' : undefined;
}

function missingWeight(pool: readonly Member[], key: WeightKey): number {
  if (key === 'weight') return 1;
  let sum = 0;
  let count = 0;
  for (const member of pool) {
    const value = member.deployment.params[key];
    if (value !== undefined) {
      sum += value;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

function weightOf(member: Member, key: WeightKey, fallback: number): number {
  return member.deployment.params[key] ?? fallback;
}
