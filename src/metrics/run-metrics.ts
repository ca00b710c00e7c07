import { Counter, Histogram, type Registry } from 'prom-client';
import type { ObservedServer, RunEnd, RunObservation, RunOutcome } from '../server/run-observer.js';
import type { JobRecord } from '../storage/contract/index.js';

/**
 * Run durations, seconds: from 5 ms (a job that only writes a row) to an hour, denser where
 * background jobs usually fall (0.1-10 s).
 */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Enqueue-to-start latencies, seconds: from 1 ms (an idle server woken by a notification) to an
 * hour (a backlog), as alerting on "jobs wait over a minute" needs buckets around it.
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The children of one queue and job name's series, bound once: prom-client validates and hashes
 * the labels on every call made with a labels object, which costs more than the rest of the
 * observation (measured with bench/tools/observer-cost.ts).
 */
interface Series {
  duration: Histogram.Internal<'queue' | 'job'>;
  latency: Histogram.Internal<'queue' | 'job'>;
  runs: Partial<Record<RunOutcome, Counter.Internal>>;
}

/**
 * The per-run metrics, counted in the process of the server that runs the jobs:
 *
 * - `<prefix>job_runs_total{queue,job,outcome}`: runs by how they ended (`succeeded`, `retried`,
 *   `failed`, `deleted`, `interrupted`, `taken-away`; see `RunOutcome`).
 * - `<prefix>job_run_duration_seconds{queue,job}`: from the job's start in its slot to its end.
 * - `<prefix>job_start_latency_seconds{queue,job}`: from when the job could first run (its
 *   creation, or the time it was due: a delayed job's or a retry's `runAt`) to its start.
 *   Continuations are left out: they wait for their parent, not for a worker, and the time they
 *   were released is not kept on the job. A job requeued by hand or after a crash counts from its
 *   creation or last due time, so its latency includes its earlier runs.
 */
export class RunMetrics {
  private readonly runs: Counter<'queue' | 'job' | 'outcome'>;
  private readonly duration: Histogram<'queue' | 'job'>;
  private readonly latency: Histogram<'queue' | 'job'>;
  /** Series by queue, then job name. */
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(registry: Registry, prefix: string, durationBuckets: readonly number[], latencyBuckets: readonly number[]) {
    this.runs = new Counter({
      name: `${prefix}job_runs_total`,
      help: 'Job runs ended on this process, by queue, job name and outcome (succeeded, retried, failed, deleted, interrupted, taken-away).',
      labelNames: ['queue', 'job', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${prefix}job_run_duration_seconds`,
      help: 'How long job runs took on this process, from start in a worker slot to end, by queue and job name.',
      labelNames: ['queue', 'job'],
      buckets: [...durationBuckets],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: `${prefix}job_start_latency_seconds`,
      help: 'From when a job could first run (created, or due) to its start on this process, by queue and job name. Continuations are not counted.',
      labelNames: ['queue', 'job'],
      buckets: [...latencyBuckets],
      registers: [registry],
    });
  }

  /** Starts following one run: its latency is known now; the rest at its end, by `observation`. */
  observe(job: JobRecord, _server: ObservedServer): RunObservation {
    if (job.parentId === null) {
      const readyAt = job.runAt !== null && job.runAt > job.createdAt ? job.runAt : job.createdAt;
      this.seriesOf(job.queue, job.name).latency.observe(Math.max(0, Date.now() - readyAt) / 1000);
    }
    return this.observation;
  }

  /** One observation for every run: the end of a run carries its job and duration. */
  private readonly observation: RunObservation = {
    end: (end: RunEnd) => {
      const { queue, name } = end.job;
      const series = this.seriesOf(queue, name);
      series.duration.observe(end.durationMs / 1000);
      (series.runs[end.outcome] ??= this.runs.labels(queue, name, end.outcome)).inc();
    },
  };

  private seriesOf(queue: string, job: string): Series {
    let byJob = this.series.get(queue);
    if (!byJob) this.series.set(queue, (byJob = new Map()));
    let s = byJob.get(job);
    if (!s) byJob.set(job, (s = { duration: this.duration.labels(queue, job), latency: this.latency.labels(queue, job), runs: {} }));
    return s;
  }
}
