export { METRICS, METRICS_BY_NAME, OTHER_MODEL_GROUP, LATENCY_BUCKETS, OVERHEAD_BUCKETS, type MetricSpec, type MetricName, type CombineRule, type MetricType } from './catalogue.js';
export { WorkerMetrics, type RequestFacts, type ScrapeResult, type WorkerMetricsChannel, type WorkerMetricsOptions } from './worker-metrics.js';
export { PrimaryMetrics, type PrimaryMetricsLink, type PrimaryMetricsOptions, type WorkerView } from './primary-metrics.js';
export { MetricsAggregator, combineShares } from './metrics-aggregator.js';
export { renderFamilies, EXPOSITION_CONTENT_TYPE } from './exposition.js';
export { serveMetricsPort, type MetricsPortOptions } from './metrics-port.js';
export { ModelGroupLabels } from './model-group-labels.js';
export type {
  MetricsDelta, MetricsPushMessage, MetricsScrapeMessage, MetricsAckMessage, MetricsTextMessage, MetricsWorkerMessage, MetricsPrimaryMessage,
} from './metrics-messages.js';
