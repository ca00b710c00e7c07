/**
 * What following a run costs the server, per job, without a database or a drain's noise: the run
 * observers' calls (`observeRuns`: `observeRun` as the job starts, `around` it, `end` with its
 * outcome) over many simulated runs, in CPU time, for each configuration a server can have; the
 * difference from `none` is what the configuration adds to each job.
 *
 *   npm run build && node --import tsx bench/tools/observer-cost.ts [runs=200000]
 *
 * Configurations: `none` (no observer: the runner skips everything), `tracing, no SDK` (a
 * server's default), `metrics` (kilnMetrics(), tracing without SDK), `tracing + SDK` (an
 * OpenTelemetry SDK registered, spans sampled and dropped by a no-op processor). Runs from dist/,
 * as the drain benchmark does.
 */
import type { JobRecord, TransitionChange } from '../../src/index.js';

const runs = Number(process.argv[2] ?? 200_000);
const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).href;
const { observeRuns } = (await import(dist('server/run-observer.js'))) as typeof import('../../src/server/run-observer.js');
const { tracingObserver } = (await import(dist('tracing/consumer.js'))) as typeof import('../../src/tracing/consumer.js');
const { kilnMetrics } = (await import(dist('metrics/index.js'))) as typeof import('../../src/metrics/index.js');
const { silentLogger } = (await import(dist('index.js'))) as typeof import('../../src/index.js');

const server = { id: 's', name: 'bench', workerCount: 50, runningCount: 0, queues: ['default'], storage: undefined as never };
const jobs: JobRecord[] = Array.from({ length: 8 }, (_, i) => ({
  id: `job-${i}`, name: `job-${i % 4}`, queue: 'default', args: '{}', state: 'processing', stateReason: null, stateData: null,
  createdAt: Date.now(), stateAt: Date.now(), attempt: 1, parameters: {}, runAt: null, parentId: null, serverId: 's',
  leaseUntil: null, expireAt: null, result: null, uniqueKey: null, priority: 0, concurrency: null, rateLimit: null,
}));
const change: TransitionChange = { id: 'job-0', expectStates: ['processing'], to: { name: 'succeeded', at: Date.now() } };

async function measure(label: string, observers: Parameters<typeof observeRuns>[0]): Promise<void> {
  const observe = observeRuns(observers, server, silentLogger);
  const settle = () => Promise.resolve(1);
  const once = async (i: number) => {
    const observed = observe?.(jobs[i & 7]!);
    await (observed ? observed.run(settle) : settle());
    observed?.end(change, undefined);
  };
  for (let i = 0; i < 20_000; i++) await once(i); // warm up
  // CPU time, not wall time: on a shared machine the wall clock counts other processes' turns.
  const best: number[] = [];
  for (let round = 0; round < 5; round++) {
    const began = process.cpuUsage();
    for (let i = 0; i < runs; i++) await once(i);
    const used = process.cpuUsage(began);
    best.push(((used.user + used.system) * 1000) / runs);
  }
  best.sort((a, b) => a - b);
  console.log(`${label.padEnd(18)} ${best[0]!.toFixed(0).padStart(6)} ns of CPU per run (best of 5), median ${best[2]!.toFixed(0)} ns`);
}

await measure('none', []);
await measure('tracing, no SDK', [tracingObserver]);
await measure('metrics', [tracingObserver, kilnMetrics({ logger: silentLogger })]);
const { NodeTracerProvider, NoopSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
new NodeTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }).register();
await measure('tracing + SDK', [tracingObserver]);
