import type { CancelSignal } from '../core/index.js';
import type { DeploymentClient } from '../providers/index.js';
import { probeDeployment, type ProbeResult, type ProbeSettings } from './deployment-probe.js';
import type { HealthObserver } from './health-observer.js';

/**
 * Probes at a time: enough that a round of a long model list is not one probe after another,
 * few enough that a round never floods an upstream (or the host) with calls at once.
 */
export const PROBE_CONCURRENCY = 8;

/** Probes every client, at most PROBE_CONCURRENCY at once; results in the clients' order. */
export async function probeAll(
  clients: readonly DeploymentClient[],
  settings: ProbeSettings,
  options: { signal?: CancelSignal; observer?: HealthObserver; concurrency?: number } = {},
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array<ProbeResult>(clients.length);
  let next = 0;
  const lane = async () => {
    while (next < clients.length) {
      const index = next++;
      const result = await probeDeployment(clients[index]!, settings, options.signal);
      results[index] = result;
      options.observer?.onProbe?.({ deployment: result.deployment, healthy: result.healthy, durationMs: result.durationMs });
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? PROBE_CONCURRENCY, clients.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}
