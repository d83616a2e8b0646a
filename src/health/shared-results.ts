import type { Deployment } from '../config/index.js';
import { endpointEntry, type EndpointEntry } from './endpoint-entry.js';
import type { DeploymentHealth, HealthRound } from './health-types.js';

/**
 * The results as stored in Redis and published to other hosts, in LiteLLM's shape:
 * `{healthy_endpoints, unhealthy_endpoints, healthy_count, unhealthy_count, timestamp, checked_by}`
 * with `timestamp` in seconds since the epoch (when the round began). Entries carry `model_id`,
 * which is how another host maps them back to its deployments.
 */
export interface SharedResults {
  healthy_endpoints: EndpointEntry[];
  unhealthy_endpoints: EndpointEntry[];
  healthy_count: number;
  unhealthy_count: number;
  timestamp: number;
  checked_by: string;
}

export function toSharedResults(round: HealthRound, deployments: ReadonlyMap<string, Deployment>): SharedResults {
  const healthy: EndpointEntry[] = [];
  const unhealthy: EndpointEntry[] = [];
  for (const result of round.results) {
    const deployment = deployments.get(result.id);
    if (deployment === undefined) continue;
    (result.healthy ? healthy : unhealthy).push(endpointEntry(deployment, result.error, true));
  }
  return {
    healthy_endpoints: healthy,
    unhealthy_endpoints: unhealthy,
    healthy_count: healthy.length,
    unhealthy_count: unhealthy.length,
    timestamp: round.timestamp / 1000,
    checked_by: round.checkedBy,
  };
}

/** Parses what another host stored or published; undefined for anything not in that shape. */
export function parseSharedResults(text: string | null | undefined): HealthRound | undefined {
  if (text === null || text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { timestamp, checked_by: checkedBy } = record;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || typeof checkedBy !== 'string') return undefined;
  const healthy = entries(record.healthy_endpoints, true);
  const unhealthy = entries(record.unhealthy_endpoints, false);
  if (healthy === undefined || unhealthy === undefined) return undefined;
  return { timestamp: Math.round(timestamp * 1000), checkedBy, results: [...healthy, ...unhealthy] };
}

function entries(value: unknown, healthy: boolean): DeploymentHealth[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: DeploymentHealth[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const { model_id: id, error } = item as Record<string, unknown>;
    if (typeof id !== 'string') continue;
    out.push(healthy || typeof error !== 'string' ? { id, healthy } : { id, healthy, error });
  }
  return out;
}
