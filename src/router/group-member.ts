import type { Deployment } from '../config/index.js';
import type { DeploymentClient } from '../providers/index.js';

/** A deployment as the router sees it: its client and what this process has measured about it. */
export interface Member {
  readonly deployment: Deployment;
  readonly client: DeploymentClient;
  /** Calls to it from this process that have not finished (streams until their last event). */
  inFlight: number;
  readonly latency: LatencyStats;
}

/**
 * Moving averages of response time (non-streaming calls) and time to first event (streams), with
 * when each last changed: a figure not refreshed for LATENCY_STALE_MS is forgotten, so a
 * deployment that was slow once is tried again instead of being starved forever.
 */
export interface LatencyStats {
  responseMs: number | undefined;
  responseAt: number;
  firstEventMs: number | undefined;
  firstEventAt: number;
}

export const LATENCY_SMOOTHING = 0.3;
export const LATENCY_STALE_MS = 60_000;

export function createMember(client: DeploymentClient): Member {
  return {
    deployment: client.deployment,
    client,
    inFlight: 0,
    latency: { responseMs: undefined, responseAt: 0, firstEventMs: undefined, firstEventAt: 0 },
  };
}

/** Adds a sample (monotonic `now`) to the stream or non-stream average. */
export function recordLatency(stats: LatencyStats, stream: boolean, ms: number, now: number): void {
  if (stream) {
    stats.firstEventMs = smooth(stats.firstEventMs, stats.firstEventAt, ms, now);
    stats.firstEventAt = now;
  } else {
    stats.responseMs = smooth(stats.responseMs, stats.responseAt, ms, now);
    stats.responseAt = now;
  }
}

/** The figure that matters for this kind of call; undefined when unknown or stale. */
export function currentLatency(stats: LatencyStats, stream: boolean, now: number): number | undefined {
  const value = stream ? stats.firstEventMs : stats.responseMs;
  const at = stream ? stats.firstEventAt : stats.responseAt;
  return value === undefined || now - at > LATENCY_STALE_MS ? undefined : value;
}

function smooth(previous: number | undefined, previousAt: number, sample: number, now: number): number {
  if (previous === undefined || now - previousAt > LATENCY_STALE_MS) return sample;
  return previous + LATENCY_SMOOTHING * (sample - previous);
}
