import type { Deployment } from '../config/index.js';
import type { DeploymentHealth } from './health-types.js';

/**
 * What the health checks report as they work, for metrics (`switchyard_health_checks_total`,
 * `switchyard_health_check_duration_seconds`, `switchyard_deployment_state`). Every hook is
 * optional; none by default.
 */
export interface HealthObserver {
  /** A probe this process ran finished (adopted results are not probes). */
  onProbe?(event: { deployment: Deployment; healthy: boolean; durationMs: number }): void;
  /** A round's results took effect on this host: probed here or adopted from another host. */
  onRound?(event: { source: 'probed' | 'adopted'; checkedBy: string; results: readonly DeploymentHealth[]; healthy: number; unhealthy: number }): void;
}

export const NO_HEALTH_OBSERVER: HealthObserver = Object.freeze({});
