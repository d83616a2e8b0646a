import { currentLatency } from '../group-member.js';
import type { Strategy } from './strategy.js';
import { pickAmong } from './strategy.js';

/**
 * `latency-based-routing`: the member with the lowest moving-average latency (time to first event
 * for streams), drawn at random among those within `(1 + buffer)` × the lowest, so near-equal
 * deployments share the load instead of one taking all of it. A member with no recent figure
 * counts as 0: it is tried, and so measured.
 */
export const lowestLatency: Strategy = (pool, request) => {
  let lowest = Infinity;
  for (const member of pool) {
    const latency = currentLatency(member.latency, request.stream, request.now) ?? 0;
    if (latency < lowest) lowest = latency;
  }
  const limit = lowest * (1 + request.latencyBuffer);
  return pickAmong(pool, request.random, (member) => (currentLatency(member.latency, request.stream, request.now) ?? 0) <= limit);
};
