import { ValidationError, errorMessage } from '../errors.js';
import type { MonitoringApi } from '../storage/contract/index.js';

/**
 * How long a health check waits for the storage by default: 1 s, so that a check answers within
 * a Kubernetes probe's default `timeoutSeconds` (1) plus the HTTP round trip only when
 * `timeoutSeconds` is 2 or more — set it so (docs/observability.md).
 */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_000;

/** Whether the storage answered a health check. */
export interface StorageHealth {
  reachable: boolean;
  /** How long it took to answer, ms; null when it did not. */
  latencyMs: number | null;
  /** Why it is unreachable (the storage's error, or the timeout). Absent when reachable. */
  error?: string;
}

/** The life stage of a `BackgroundJobServer`. */
export type ServerStatus = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** What `BackgroundJobServer.health()` reports. */
export interface ServerHealth {
  /**
   * For a liveness probe: the server is starting or running. It does not depend on the storage:
   * restarting a process does not bring a database back, so a storage outage must not fail
   * liveness. (A job that blocks the event loop fails it anyway: nothing in the process answers.)
   */
  live: boolean;
  /** For a readiness or startup probe: the server is running and its storage answered now. */
  ready: boolean;
  status: ServerStatus;
  serverId: string;
  name: string;
  storage: StorageHealth;
  /** When the server started, epoch ms; null before. */
  startedAt: number | null;
  /** When the heartbeat last reached the storage (server record and leases renewed), epoch ms; null before the first. */
  lastHeartbeatAt: number | null;
  /** Jobs running now, and the slots there are. */
  runningJobs: number;
  workerCount: number;
  queues: string[];
}

/** Options of a health check. */
export interface HealthCheckOptions {
  /** How long to wait for the storage, ms. Default 1 s (`DEFAULT_HEALTH_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/**
 * Asks the storage something cheap (the server list: a small table or hash on every backend)
 * and reports whether it answered within `timeoutMs`. Never throws.
 */
/** `options.timeoutMs`, checked: a number of ms from 1 to 60,000, default `DEFAULT_HEALTH_TIMEOUT_MS`. */
export function healthTimeout(options: HealthCheckOptions): number {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new ValidationError('timeoutMs', `must be a number of milliseconds from 1 to 60000, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

export async function checkStorage(storage: MonitoringApi, timeoutMs = DEFAULT_HEALTH_TIMEOUT_MS): Promise<StorageHealth> {
  const began = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the storage did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => storage.listServers()), timeout]);
    return { reachable: true, latencyMs: Math.round((performance.now() - began) * 10) / 10 };
  } catch (e) {
    return { reachable: false, latencyMs: null, error: errorMessage(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A health check for HTTP, without the storage's error text (it may name hosts and users), which
 * probes need not see: it is in `health()` and the logs.
 */
export function publicHealth<T extends { storage: StorageHealth }>(health: T): T {
  const { error: _error, ...storage } = health.storage;
  return { ...health, storage };
}

/**
 * Something that serves Prometheus's text format: `kilnMetrics()` (from `kilnjs/metrics`), or
 * any prom-client `Registry`.
 */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/**
 * `check` with concurrent callers sharing one run: a burst of probes (or of anyone reaching an
 * unauthenticated health port) costs the storage one round trip, not one each.
 */
export function singleFlight<T>(check: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= check().finally(() => {
      pending = undefined;
    }));
}
