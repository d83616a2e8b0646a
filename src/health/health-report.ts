import type { Deployment } from '../config/index.js';
import { endpointEntry, type EndpointEntry } from './endpoint-entry.js';
import type { DeploymentHealth, HealthRound } from './health-types.js';

/** `GET /health`: LiteLLM's four fields, plus when the answer was checked and by whom. */
export interface HealthReportBody {
  healthy_endpoints: EndpointEntry[];
  unhealthy_endpoints: EndpointEntry[];
  healthy_count: number;
  unhealthy_count: number;
  /** When the results were checked (seconds since the epoch); null before the first round. */
  timestamp: number | null;
  age_seconds: number | null;
  /** The host that probed (pod id), with background checks; null for a probe made just now. */
  checked_by: string | null;
}

export interface HealthReport {
  /** 503 when a targeted model has nothing healthy. */
  status: 200 | 503;
  body: HealthReportBody;
}

export interface ReportInput {
  deployments: readonly Deployment[];
  results: ReadonlyMap<string, DeploymentHealth>;
  details: boolean;
  targeted: boolean;
  round: Pick<HealthRound, 'timestamp' | 'checkedBy'> | undefined;
  now: number;
}

/** The answer for these deployments, each listed by its result (those without one are left out). */
export function buildReport(input: ReportInput): HealthReport {
  const healthy: EndpointEntry[] = [];
  const unhealthy: EndpointEntry[] = [];
  for (const deployment of input.deployments) {
    const result = input.results.get(deployment.id);
    if (result === undefined) continue;
    (result.healthy ? healthy : unhealthy).push(endpointEntry(deployment, result.error, input.details));
  }
  const { round } = input;
  const body: HealthReportBody = {
    healthy_endpoints: healthy,
    unhealthy_endpoints: unhealthy,
    healthy_count: healthy.length,
    unhealthy_count: unhealthy.length,
    timestamp: round === undefined ? null : round.timestamp / 1000,
    age_seconds: round === undefined ? null : Math.max(0, Math.round((input.now - round.timestamp) / 100) / 10),
    checked_by: round?.checkedBy ?? null,
  };
  return { status: input.targeted && healthy.length === 0 ? 503 : 200, body };
}
