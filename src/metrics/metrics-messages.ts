/**
 * What a worker sends the primary about its metrics, and the primary's answers. The IPC union in
 * src/supervisor/ipc-messages.ts includes these types; they live here because only the metrics
 * code builds and reads them.
 */

/** A worker's changes since its previous push. Counters and histograms are deltas; gauges are absolute. */
export interface MetricsDelta {
  /** [metric, label values, increase] */
  counters: Array<[string, string[], number]>;
  /** [metric, label values, per-bucket counts (not cumulative, +Inf last), sum, count] */
  histograms: Array<[string, string[], number[], number, number]>;
  /** [metric, label values, value]: every gauge series the worker has, each push. */
  gauges: Array<[string, string[], number]>;
}

/** Worker → primary: a push (at least once a second), or the last one before exit (`final`, acknowledged). */
export interface MetricsPushMessage {
  type: 'metrics-push';
  seq: number;
  final: boolean;
  delta: MetricsDelta;
}

/** Worker → primary: a client asked this worker for /metrics; the delta makes its own numbers current. */
export interface MetricsScrapeMessage {
  type: 'metrics-scrape';
  id: number;
  delta: MetricsDelta;
}

/** Primary → worker: the final push has been applied; the worker may exit. */
export interface MetricsAckMessage {
  type: 'metrics-ack';
  seq: number;
}

/** Primary → worker: the exposition text for a scrape. */
export interface MetricsTextMessage {
  type: 'metrics-text';
  id: number;
  text: string;
}

export type MetricsWorkerMessage = MetricsPushMessage | MetricsScrapeMessage;
export type MetricsPrimaryMessage = MetricsAckMessage | MetricsTextMessage;

export function emptyDelta(): MetricsDelta {
  return { counters: [], histograms: [], gauges: [] };
}
