/** The results of health checks as they travel: primary → workers (IPC) and host → host (Redis). */

/** One deployment's last probe. */
export interface DeploymentHealth {
  readonly id: string;
  readonly healthy: boolean;
  /** Why it is unhealthy, redacted (never a key or header value). */
  readonly error?: string;
}

/** One round of probes: every scheduled deployment, probed by one host. */
export interface HealthRound {
  /**
   * When the round began (ms since the epoch). Results are fresh for one interval from here, so
   * the next round is due one interval after the last one began, whoever ran it.
   */
  readonly timestamp: number;
  /** The pod id of the host that probed. */
  readonly checkedBy: string;
  readonly results: readonly DeploymentHealth[];
}

/** Primary → worker messages of the health part (members of the IPC union). */
export type HealthPrimaryMessage =
  /** The latest round (null before the first), sent after each round and to each new worker. */
  | { type: 'health-results'; podId: string; round: HealthRound | null }
  /** Workers ready to serve out of those configured, for readiness. */
  | { type: 'workers-ready'; ready: number; configured: number };
