import type { Deployment } from '../config/index.js';
import { stableHash } from '../core/index.js';

export interface HealthKeys {
  /** The lock: value is the holder's pod id, expiry the lock TTL. */
  readonly lock: string;
  /** The last round's results (SharedResults JSON), expiry the results TTL. */
  readonly results: string;
  /** Pub/sub channel announcing new results (the same JSON). */
  readonly channel: string;
}

/**
 * Keys for the shared health checks: `<namespace>:{<namespace>:health:<fingerprint>}:lock|results|announce`.
 * The fingerprint is a digest of the scheduled deployment ids, so hosts share results only with
 * hosts that probe the same deployments: during a rolling change of the model list, old and new
 * hosts each coordinate among themselves instead of adopting results that miss deployments.
 */
export function healthKeys(groupKey: (group: string, ...parts: string[]) => string, scheduled: readonly Deployment[]): HealthKeys {
  const fingerprint = stableHash([...scheduled.map((d) => d.id)].sort(), 12);
  // Lock and results are read together (one MGET): one hash tag per fingerprint.
  return {
    lock: groupKey(`health:${fingerprint}`, 'lock'),
    results: groupKey(`health:${fingerprint}`, 'results'),
    channel: groupKey(`health:${fingerprint}`, 'announce'),
  };
}
