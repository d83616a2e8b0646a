import type { RoutingStrategy } from '../../config/index.js';
import { leastBusy } from './least-busy.js';
import { lowestLatency } from './lowest-latency.js';
import { lowestUsage } from './lowest-usage.js';
import { simpleShuffle } from './simple-shuffle.js';
import type { Strategy } from './strategy.js';

export type { MemberView, PickRequest, Strategy } from './strategy.js';
export { leastBusy, lowestLatency, lowestUsage, simpleShuffle };

export const STRATEGIES: Readonly<Record<RoutingStrategy, Strategy>> = {
  'simple-shuffle': simpleShuffle,
  'least-busy': leastBusy,
  'latency-based-routing': lowestLatency,
  'usage-based-routing-v2': lowestUsage,
};
