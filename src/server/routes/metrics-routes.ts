import { GatewayError } from '../../core/index.js';
import type { RouteSpec } from '../http/route-table.js';
import { sendText } from '../http/respond.js';

/** What the /metrics route needs from the worker's metrics (WorkerMetrics has it). */
export interface MetricsEndpoint {
  /** The primary's exposition text for the whole host, or why it could not be had in time. */
  scrape(timeoutMs: number): Promise<{ ok: true; text: string } | { ok: false; reason: string }>;
  /** Marks one scrape open (scrapes are not traffic: the in-flight gauge leaves them out); returns the release. */
  holdScrape(): () => void;
}

/** How long a worker waits for the primary's text before answering 503 (Prometheus waits 10 s by default). */
export const METRICS_SCRAPE_TIMEOUT_MS = 3_000;

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * GET /metrics on the main port: the worker that receives it asks the primary, which holds the
 * host's metrics, and answers with its text. It never waits on other workers; if the primary does
 * not answer within the bounded wait, it answers 503 saying so. Public unless
 * `require_auth_for_metrics_endpoint` is set.
 */
export function metricsRoutes(metrics: MetricsEndpoint | undefined, requireAuth: boolean): RouteSpec[] {
  return [{
    method: 'GET',
    paths: ['/metrics'],
    public: !requireAuth,
    async handle(ctx) {
      if (metrics === undefined) throw new GatewayError('not_found', 'Metrics are turned off on this gateway (--disable_metrics).');
      ctx.response.once('close', metrics.holdScrape());
      const result = await metrics.scrape(METRICS_SCRAPE_TIMEOUT_MS);
      if (!result.ok) throw new GatewayError('metrics_unavailable', `Metrics are unavailable: ${result.reason}; retry the scrape.`);
      sendText(ctx, 200, CONTENT_TYPE, result.text);
    },
  }];
}
