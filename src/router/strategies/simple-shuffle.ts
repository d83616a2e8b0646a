import type { DeploymentParams } from '../../config/index.js';
import type { Member } from '../group-member.js';
import type { Strategy } from './strategy.js';

type WeightKey = 'weight' | 'rpm' | 'tpm';

/**
 * `simple-shuffle`: a random draw, weighted by `weight` when any member sets it, else by `rpm`,
 * else by `tpm` (a member without the chosen key weighs 0, as in LiteLLM), else uniform. When
 * every weight is 0 the draw is uniform.
 */
export const simpleShuffle: Strategy = (pool, request) => {
  const key = weightKey(pool);
  if (key !== undefined) {
    let total = 0;
    for (const member of pool) total += weightOf(member, key);
    if (total > 0) {
      let remaining = request.random() * total;
      let last: Member | undefined;
      for (const member of pool) {
        const weight = weightOf(member, key);
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

function weightOf(member: Member, key: WeightKey): number {
  return member.deployment.params[key] ?? 0;
}
