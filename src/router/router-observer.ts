import type { Deployment } from '../config/index.js';
import type { CooldownReason } from './cooldowns.js';
import type { FailureKind } from './failure-kind.js';

/**
 * What the router reports as it works, for metrics and anything else that wants to watch. Every
 * hook is optional and called synchronously on the request path: keep them cheap.
 */
export interface RouterObserver {
  /**
   * An upstream call finished: answered or failed. A stream is reported when it ends (failed if
   * it broke or was cut short after its first event); `durationMs` is to its first event.
   */
  onAttempt?(event: { modelGroup: string; deployment: Deployment; ok: boolean; failure?: FailureKind; durationMs: number }): void;
  /** Another attempt in the same group follows a failure. */
  onRetry?(event: { modelGroup: string; failed: Deployment; failure: FailureKind; retry: number; delayMs: number }): void;
  /** A fallback group is tried after `from` failed. */
  onFallback?(event: { from: string; to: string; failure: FailureKind }): void;
  /** A deployment starts sitting out (`shared`: another host cooled it down). */
  onCooldown?(event: { deployment: Deployment; durationMs: number; reason: CooldownReason }): void;
  /** A deployment's routing state changed (cooldown began or ended, health changed). */
  onDeploymentState?(event: { deployment: Deployment; coolingDown: boolean; healthy: boolean }): void;
}

export const NO_OBSERVER: RouterObserver = Object.freeze({});
