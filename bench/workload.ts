/** What a workload is, what it measures, and the helpers every workload shares. */
import { randomBytes } from 'node:crypto';
import type { Payload, System, SystemSpec } from './system.js';

export interface Measurement {
  metric: string;
  value: number;
  unit: 'jobs/s' | 'ms' | 'MB' | 'µs';
  better: 'higher' | 'lower';
  /** Set when the number is partial or otherwise qualified (time budget hit, samples). */
  note?: string;
}

export interface BenchOptions {
  /** Jobs of the bulk enqueue, drain and multi-process drain workloads. */
  jobs: number;
  /** Concurrent jobs per worker process. */
  concurrency: number;
  /** Jobs of the one-by-one enqueue workload. */
  oneByOne: number;
  /** Samples of the enqueue-to-start latency workload. */
  latencySamples: number;
  /** Jobs of the scheduled-batch workload. */
  scheduled: number;
  /** Backlog sizes of the peak-RSS workload. */
  rssBacklogs: number[];
  /** Processes of the multi-process drain. */
  processes: number;
  /** Longest a slow system (pg-boss) may spend on one measurement before it is reported partial. */
  slowBudgetMs: number;
  /** Longest any system may spend on one measurement. */
  budgetMs: number;
}

export interface Workload {
  id: string;
  title: string;
  /** Not part of the default run (too long). */
  optIn?: boolean;
  run(spec: SystemSpec, o: BenchOptions): Promise<Measurement[]>;
}

export function payloads(n: number, from = 0): Payload[] {
  return Array.from({ length: n }, (_, k) => ({ i: from + k }));
}

/** Creates a fresh namespace for `spec`, runs `fn` on it, and drops the namespace afterwards. */
export async function withFreshSystem<T>(spec: SystemSpec, fn: (system: System, ns: string) => Promise<T>): Promise<T> {
  const ns = randomBytes(4).toString('hex');
  const system = spec.create(ns);
  try {
    await system.prepare();
    return await fn(system, ns);
  } finally {
    await system.destroy().catch((e: unknown) => console.error(`  cleanup of ${spec.id} failed: ${String(e)}`));
  }
}

export function budgetOf(spec: SystemSpec, o: BenchOptions): number {
  return spec.slow ? o.slowBudgetMs : o.budgetMs;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for `promise`, or `ms` at most; the timer never outlives the wait (no lingering process). */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The p-th percentile (0..100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Waits until `system.remaining()` is 0 (completions written), up to `ms`; returns what remains. */
export async function settle(system: System, ms = 10_000): Promise<number> {
  const until = Date.now() + ms;
  for (;;) {
    const left = await system.remaining();
    if (left === 0 || Date.now() > until) return left;
    await sleep(100);
  }
}

/** Counts job starts; resolves `done` when `target` jobs started, or when the budget ends. */
export class StartCounter {
  count = 0;
  first = 0;
  last = 0;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: number,
    budgetMs: number,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    this.timer = setTimeout(() => this.resolve(), budgetMs);
    this.timer.unref();
  }

  readonly handler = (): void => {
    const now = performance.now();
    if (this.count === 0) this.first = now;
    this.last = now;
    if (++this.count >= this.target) {
      clearTimeout(this.timer);
      this.resolve();
    }
  };

  /** Jobs per second between the first and the last start. */
  rate(): number {
    return this.count > 1 ? ((this.count - 1) * 1000) / (this.last - this.first) : 0;
  }

  partialNote(): string | undefined {
    return this.count < this.target ? `partial: ${this.count}/${this.target} jobs in the time budget` : undefined;
  }
}
