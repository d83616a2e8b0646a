export type { LimitScope } from '../limits/index.js';
export type { Caller } from './caller.js';
export { VirtualKeys, type VirtualKeysOptions } from './virtual-keys.js';
export { KeyCache, type KeyCacheOptions } from './key-cache.js';
export type { KeyChange } from './key-invalidation.js';
export { resolveModel, mayUse } from './model-access.js';
export { hashToken, newKey } from './key-token.js';
export { addDuration, parseDuration } from '../limits/index.js';
