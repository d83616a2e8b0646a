import type { Strategy } from './strategy.js';
import { pickAmong } from './strategy.js';

/** `least-busy`: the member with the fewest calls in flight from this process; ties drawn at random. */
export const leastBusy: Strategy = (pool, request) => {
  let fewest = Infinity;
  for (const member of pool) if (member.inFlight < fewest) fewest = member.inFlight;
  return pickAmong(pool, request.random, (member) => member.inFlight === fewest);
};
