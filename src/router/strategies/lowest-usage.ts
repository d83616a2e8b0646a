import type { Strategy } from './strategy.js';
import { pickAmong } from './strategy.js';

/**
 * `usage-based-routing-v2`: the member that has used the fewest tokens this minute (then the
 * fewest requests; then at random). Members already at their `rpm`/`tpm` are removed before this
 * runs (see deployment-picker.ts).
 */
export const lowestUsage: Strategy = (pool, request, view) => {
  let fewestTokens = Infinity;
  let fewestRequests = Infinity;
  for (const member of pool) {
    const usage = view.usage(member, request.minute);
    if (usage.tokens < fewestTokens || (usage.tokens === fewestTokens && usage.requests < fewestRequests)) {
      fewestTokens = usage.tokens;
      fewestRequests = usage.requests;
    }
  }
  return pickAmong(pool, request.random, (member) => {
    const usage = view.usage(member, request.minute);
    return usage.tokens === fewestTokens && usage.requests === fewestRequests;
  });
};
