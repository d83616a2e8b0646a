import type { Config, Deployment, HealthSettings } from '../config/index.js';
import type { RedisConnection } from '../redis/index.js';
import { healthKeys } from './health-keys.js';
import { parseSharedResults } from './shared-results.js';

/** `GET /health/shared-status`, exactly LiteLLM's documented shape. */
export interface SharedStatusBody {
  shared_health_check_enabled: boolean;
  status: {
    pod_id: string | null;
    redis_available: boolean;
    /** Seconds. */
    lock_ttl: number;
    /** Seconds. */
    cache_ttl: number;
    lock_owner: string | null;
    lock_in_progress: boolean;
    cache_available: boolean;
    cache_age_seconds: number | null;
    last_checked_by: string | null;
  };
}

/** Results live at least one interval, or hosts ticking after they expired would probe again. */
export function effectiveResultsTtlMs(health: HealthSettings): number {
  return Math.max(health.sharedResultsTtlMs, health.intervalMs);
}

/** Shared checks run only with background checks, the setting, and Redis. */
export function sharedChecksEnabled(config: Config): boolean {
  return config.health.backgroundChecks && config.health.shared && config.redis !== undefined;
}

/** Reads the lock and the results from Redis (one bounded command) into the status shape. */
export async function readSharedStatus(
  config: Config, scheduled: readonly Deployment[], podId: string | null, redis: RedisConnection | undefined, now = Date.now(),
): Promise<SharedStatusBody> {
  const enabled = sharedChecksEnabled(config);
  const status: SharedStatusBody['status'] = {
    pod_id: podId,
    redis_available: redis?.available ?? false,
    lock_ttl: config.health.sharedLockTtlMs / 1000,
    cache_ttl: effectiveResultsTtlMs(config.health) / 1000,
    lock_owner: null,
    lock_in_progress: false,
    cache_available: false,
    cache_age_seconds: null,
    last_checked_by: null,
  };
  if (enabled && redis !== undefined) {
    const keys = healthKeys((group, ...parts) => redis.groupKey(group, ...parts), scheduled);
    const reply = await redis.run('health status read', (r) => r.mget(keys.lock, keys.results));
    if (reply === undefined) {
      status.redis_available = false;
    } else {
      status.redis_available = true;
      status.lock_owner = reply[0] ?? null;
      status.lock_in_progress = status.lock_owner !== null;
      const results = parseSharedResults(reply[1]);
      if (results !== undefined) {
        status.cache_available = true;
        status.cache_age_seconds = Math.max(0, Math.round((now - results.timestamp) / 100) / 10);
        status.last_checked_by = results.checkedBy;
      }
    }
  }
  return { shared_health_check_enabled: enabled, status };
}
