// Kiln's Prometheus metrics, the `kilnjs/metrics` entry point: it loads prom-client, which the
// package root never does.
export { KilnMetrics, kilnMetrics, type KilnMetricsOptions } from './kiln-metrics.js';
export { DEFAULT_DURATION_BUCKETS, DEFAULT_LATENCY_BUCKETS } from './run-metrics.js';
