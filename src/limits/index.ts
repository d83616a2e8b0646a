export type { LimitScope } from './limit-scope.js';
export { addDuration, parseDuration } from './budget-duration.js';
export { budgetWindow, windowEndAfter, type BudgetWindow } from './budget-window.js';
export { LimitGate, hasLimits, type LimitGateOptions } from './limit-gate.js';
export { LEASE_TTL_MS, RedisLimits } from './redis-limits.js';
export { LocalLimits } from './local-limits.js';
export { NANO_PER_USD, toNano, type Admission, type CallEstimate, type Counting, type Denial, type DenialReason, type LimitObserver } from './limit-types.js';
export { HostCounter, HostLimits, type HostChannel, type LimitsPrimaryMessage, type LimitsWorkerMessage, type LocalCounter } from './host-limits.js';
