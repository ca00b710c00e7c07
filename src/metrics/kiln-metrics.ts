import { Registry } from 'prom-client';
import { defaultLogger } from '../config.js';
import { KilnError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ObservedServer, RunObservation, RunObserver } from '../server/run-observer.js';
import type { JobRecord, MonitoringApi } from '../storage/contract/index.js';
import { DEFAULT_DURATION_BUCKETS, DEFAULT_LATENCY_BUCKETS, RunMetrics } from './run-metrics.js';
import { ServerMetrics } from './server-metrics.js';
import { StorageMetrics } from './storage-metrics.js';

/** Options of `kilnMetrics()`. Every one has a default. */
export interface KilnMetricsOptions {
  /**
   * The prom-client registry the metrics are registered in: yours (prom-client's global
   * `register`, or any `Registry`) to serve them with your own, or by default a new one of their
   * own (`metrics.registry`), which `Registry.merge([register, metrics.registry])` combines with
   * yours. Kiln never touches prom-client's global registry unless given it.
   */
  registry?: Registry;
  /**
   * Where the queue depths, oldest waiting ages, per-state counts and servers are read on each
   * scrape. Default: the storage of the first server this is given to (`observers: [metrics]`);
   * none (no storage gauges) until then.
   */
  storage?: MonitoringApi;
  /** The start of every metric name. Default `'kiln_'`. */
  prefix?: string;
  /** Upper bounds, seconds, of the run duration histogram. Default `DEFAULT_DURATION_BUCKETS` (5 ms to 1 h). */
  durationBuckets?: number[];
  /** Upper bounds, seconds, of the enqueue-to-start latency histogram. Default `DEFAULT_LATENCY_BUCKETS` (1 ms to 1 h). */
  latencyBuckets?: number[];
  /**
   * How long a scrape waits for the storage, ms, before leaving its gauges out (`kiln_storage_up`
   * 0). Default 5,000: under Prometheus's default `scrape_timeout` of 10 s.
   */
  storageTimeoutMs?: number;
  /** Where a storage that stops (or starts again) answering scrapes is reported. Default: `configure({ logger })`, else the console. */
  logger?: Logger;
}

/**
 * Kiln's Prometheus metrics, through prom-client (docs/observability.md lists every metric):
 *
 * - per run, counted in the process that runs the jobs: runs by outcome, run duration and
 *   enqueue-to-start latency, by queue and job name; worker slots, total and busy, per server;
 * - from the storage, read on each scrape: jobs per state, depth and oldest waiting age per queue,
 *   servers, recurring definitions, lifetime totals.
 *
 * Off by default: a server counts runs only when given this as an observer, and the storage is
 * read only when something scrapes.
 *
 * @example
 * import { kilnMetrics } from 'kilnjs/metrics';
 * const metrics = kilnMetrics();
 * const server = new BackgroundJobServer({ storage, observers: [metrics] });
 * app.get('/metrics', async (_req, res) => res.type(metrics.contentType).send(await metrics.metrics()));
 */
export class KilnMetrics implements RunObserver {
  readonly registry: Registry;
  private readonly run: RunMetrics;
  private readonly servers: ServerMetrics;
  private storage: MonitoringApi | undefined;

  constructor(options: KilnMetricsOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
    const r = options.registry as Partial<Registry> | undefined | null;
    if (r !== undefined && (typeof r?.registerMetric !== 'function' || typeof r.metrics !== 'function')) {
      throw new ValidationError('registry', "must be a prom-client Registry (new Registry(), or prom-client's register)");
    }
    const prefix = options.prefix ?? 'kiln_';
    if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix) || prefix.length > 100) {
      throw new ValidationError('prefix', `must start a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(prefix)}`);
    }
    const timeoutMs = options.storageTimeoutMs ?? 5_000;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
      throw new ValidationError('storageTimeoutMs', `must be a number of milliseconds from 1 to 600000, got ${String(timeoutMs)}`);
    }
    if (options.storage !== undefined && typeof (options.storage as Partial<MonitoringApi> | null)?.queueHeads !== 'function') {
      throw new ValidationError('storage', "must be a Kiln storage (or its monitoring role)");
    }
    this.registry = options.registry ?? new Registry();
    this.storage = options.storage;
    try {
      this.run = new RunMetrics(
        this.registry,
        prefix,
        buckets(options.durationBuckets, 'durationBuckets', DEFAULT_DURATION_BUCKETS),
        buckets(options.latencyBuckets, 'latencyBuckets', DEFAULT_LATENCY_BUCKETS),
      );
      this.servers = new ServerMetrics(this.registry, prefix);
      new StorageMetrics(this.registry, prefix, () => this.storage, timeoutMs, options.logger ?? defaultLogger());
    } catch (e) {
      if (e instanceof KilnError) throw e;
      // prom-client refuses a second metric of one name in a registry.
      throw new ValidationError('registry', `already holds Kiln's metrics under the prefix ${JSON.stringify(prefix)} (${(e as Error).message}); give another prefix or registry`);
    }
  }

  /** The exposition format's content type, for the `/metrics` response. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric of the registry in Prometheus's text format (reads the storage). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** @internal Called by the server as each job starts (see `RunObserver`). */
  observeRun(job: JobRecord, server: ObservedServer): RunObservation {
    return this.run.observe(job, server);
  }

  /** @internal */
  serverStarted(server: ObservedServer): void {
    this.servers.servers.add(server);
    this.storage ??= server.storage;
  }

  /** @internal */
  serverStopped(server: ObservedServer): void {
    this.servers.servers.delete(server);
  }
}

/** Creates Kiln's Prometheus metrics (see `KilnMetrics`). */
export function kilnMetrics(options: KilnMetricsOptions = {}): KilnMetrics {
  return new KilnMetrics(options);
}

function buckets(value: number[] | undefined, field: string, fallback: readonly number[]): readonly number[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) throw new ValidationError(field, 'must be an array of 1 to 100 upper bounds in seconds');
  value.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0) throw new ValidationError(`${field}[${i}]`, `must be a finite number of seconds above 0, got ${String(b)}`);
    if (i > 0 && b <= value[i - 1]!) throw new ValidationError(`${field}[${i}]`, 'must be above the bound before it: bounds go up');
  });
  return value;
}
