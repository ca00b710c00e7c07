import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createDashboard } from '../../src/dashboard/index.js';
import { kilnMetrics } from '../../src/metrics/index.js';
import {
  BackgroundJobServer,
  JobClient,
  SqliteStorage,
  TRACE_CONTEXT_PARAMETER,
  ValidationError,
  defineJob,
  silentLogger,
  type RunObserver,
} from '../../src/index.js';
import { listen, tempDir } from '../dashboard/helpers.js';
import { parseScrape, samples, valueOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait.js';

const ok = defineJob({ name: 'metrics-ok', run: (n: number) => n * 2 });
const flaky = defineJob({
  name: 'metrics-flaky',
  retry: { attempts: 1, delays: [0] },
  run: (_: null, ctx) => {
    if (ctx.attempt === 1) throw new Error('first attempt fails');
    return 'second works';
  },
});
// Hostile jobs beside the normal ones: a thrown null, and a result JSON cannot hold.
const throwsNull = defineJob({
  name: 'metrics-throws-null',
  retry: { attempts: 0 },
  run: () => {
    throw null;
  },
});
const badResult = defineJob({ name: 'metrics-bad-result', retry: { attempts: 0 }, run: () => ({ big: 10n }) as unknown as string });
const jobs = [ok, flaky, throwsNull, badResult];

const isValidation = (field: string) => (e: unknown) => e instanceof ValidationError && e.field === field;

describe('Prometheus metrics', () => {
  const tmp = tempDir('kiln-metrics-');
  const storage = new SqliteStorage(`${tmp.dir}/kiln.db`);
  const client = new JobClient({ storage, logger: silentLogger });
  const metrics = kilnMetrics({ logger: silentLogger });
  const server = new BackgroundJobServer({ storage, jobs, workerCount: 4, schedulePollingInterval: 20, observers: [metrics], logger: silentLogger, name: 'metrics-test' });
  let backlogEnqueuedAt = 0;

  before(async () => {
    await server.start();
    await client.enqueueMany(ok, [1, 2, 3, 4, 5]);
    await client.enqueueMany(flaky, [null, null]);
    await client.enqueue(throwsNull, undefined as never);
    await client.enqueue(badResult, undefined as never);
    backlogEnqueuedAt = Date.now();
    await client.enqueueMany(ok, [6, 7, 8], { queue: 'backlog' }); // a queue no server serves
    await client.schedule(ok, 9, { delay: '1h' });
    await waitFor('every job of the default queue to end', async () => {
      const s = await storage.statistics();
      return s.states.succeeded === 7 && s.states.failed === 2;
    });
  });
  after(async () => {
    await server.dispose();
    await storage.close();
    tmp.remove();
  });

  it('counts runs by outcome, times them, and reads depths and ages from the storage, on /metrics', async () => {
    const dashboard = createDashboard({ storage, metrics, logger: silentLogger });
    const served = await listen((req, res) => void dashboard.nodeHandler(req, res));
    let text: string;
    try {
      const res = await fetch(`${served.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      text = await res.text();
    } finally {
      await served.close();
    }
    const scrape = parseScrape(text);
    const runs = (job: string, outcome: string) => valueOf(scrape, 'kiln_job_runs_total', { queue: 'default', job, outcome });
    assert.equal(scrape.get('kiln_job_runs_total')?.type, 'COUNTER');
    assert.equal(runs('metrics-ok', 'succeeded'), 5);
    assert.equal(runs('metrics-flaky', 'retried'), 2);
    assert.equal(runs('metrics-flaky', 'succeeded'), 2);
    assert.equal(runs('metrics-throws-null', 'failed'), 1);
    assert.equal(runs('metrics-bad-result', 'failed'), 1);
    assert.equal(samples(scrape, 'kiln_job_runs_total').length, 5, 'no other series');

    assert.equal(scrape.get('kiln_job_run_duration_seconds')?.type, 'HISTOGRAM');
    assert.equal(valueOf(scrape, 'kiln_job_run_duration_seconds_count', { job: 'metrics-ok' }), 5);
    assert.equal(valueOf(scrape, 'kiln_job_run_duration_seconds_count', { job: 'metrics-flaky' }), 4);
    assert.equal(valueOf(scrape, 'kiln_job_run_duration_seconds_bucket', { job: 'metrics-flaky', le: '+Inf' }), 4);
    assert.equal(valueOf(scrape, 'kiln_job_start_latency_seconds_count', { queue: 'default', job: 'metrics-ok' }), 5);
    assert.equal(valueOf(scrape, 'kiln_job_start_latency_seconds_bucket', { job: 'metrics-ok', le: '3600' }), 5);
    assert.ok(valueOf(scrape, 'kiln_job_start_latency_seconds_sum', { job: 'metrics-ok' })! >= 0);

    assert.equal(valueOf(scrape, 'kiln_jobs', { state: 'succeeded' }), 7);
    assert.equal(valueOf(scrape, 'kiln_jobs', { state: 'failed' }), 2);
    assert.equal(valueOf(scrape, 'kiln_jobs', { state: 'enqueued' }), 3);
    assert.equal(valueOf(scrape, 'kiln_jobs', { state: 'scheduled' }), 1);
    assert.equal(valueOf(scrape, 'kiln_queue_jobs', { queue: 'backlog', state: 'enqueued' }), 3);
    assert.equal(valueOf(scrape, 'kiln_queue_jobs', { queue: 'default', state: 'enqueued' }) ?? 0, 0);
    const age = valueOf(scrape, 'kiln_queue_oldest_job_age_seconds', { queue: 'backlog' });
    assert.ok(age !== undefined && age >= 0 && age <= (Date.now() - backlogEnqueuedAt) / 1000 + 0.001, `age ${age}`);
    assert.equal(valueOf(scrape, 'kiln_queue_oldest_job_age_seconds', { queue: 'default' }), undefined, 'an empty queue has no age');
    assert.equal(valueOf(scrape, 'kiln_storage_succeeded_jobs_total'), 7);
    assert.equal(valueOf(scrape, 'kiln_storage_failed_jobs_total'), 4, 'every failed attempt');
    assert.equal(valueOf(scrape, 'kiln_servers'), 1);
    assert.equal(valueOf(scrape, 'kiln_storage_up'), 1);
    assert.equal(valueOf(scrape, 'kiln_server_workers', { server: 'metrics-test' }), 4);
    assert.equal(valueOf(scrape, 'kiln_server_workers_busy', { server: 'metrics-test' }), 0);
  });

  it('carries no trace context and makes no span while no OpenTelemetry SDK is registered', async () => {
    const page = await storage.listJobs({ state: 'succeeded', offset: 0, limit: 10 });
    assert.equal(page.jobs.length, 7);
    for (const job of page.jobs) assert.equal(TRACE_CONTEXT_PARAMETER in job.parameters, false);
  });

  it('serves the storage gauges on the dashboard with metrics: true, behind its token; health without it', async () => {
    const token = 'metrics-test-token-0123456789';
    const dashboard = createDashboard({ storage, metrics: true, token, logger: silentLogger });
    const served = await listen((req, res) => void dashboard.nodeHandler(req, res));
    try {
      assert.equal((await fetch(`${served.url}/metrics`)).status, 403);
      const res = await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const scrape = parseScrape(await res.text());
      assert.equal(valueOf(scrape, 'kiln_jobs', { state: 'succeeded' }), 7);
      assert.equal(samples(scrape, 'kiln_job_runs_total').length, 0, 'no server runs jobs in this registry');
      const live = await fetch(`${served.url}/healthz`);
      assert.equal(live.status, 200);
      const ready = await fetch(`${served.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(((await ready.json()) as { ready: boolean }).ready, true);
    } finally {
      await served.close();
    }
  });

  it('leaves the storage gauges out, and says so, when the storage does not answer', async () => {
    const gone = new SqliteStorage(`${tmp.dir}/gone.db`);
    await gone.migrate();
    await gone.close();
    const scrape = parseScrape(await kilnMetrics({ storage: gone, logger: silentLogger }).metrics());
    assert.equal(valueOf(scrape, 'kiln_storage_up'), 0);
    assert.equal(samples(scrape, 'kiln_jobs').length, 0);
    assert.equal(samples(scrape, 'kiln_queue_jobs').length, 0);
    assert.equal(samples(scrape, 'kiln_servers').length, 0, 'left out, not reported as 0 servers');
    assert.equal(samples(scrape, 'kiln_storage_succeeded_jobs_total').length, 0, 'left out, not a counter reset');
  });

  it('refuses bad options with a ValidationError naming the field', () => {
    assert.throws(() => kilnMetrics({ prefix: 'kiln-' }), isValidation('prefix'));
    assert.throws(() => kilnMetrics({ durationBuckets: [1, 0.5] }), isValidation('durationBuckets[1]'));
    assert.throws(() => kilnMetrics({ latencyBuckets: [Number.NaN] }), isValidation('latencyBuckets[0]'));
    assert.throws(() => kilnMetrics({ storageTimeoutMs: -1 }), isValidation('storageTimeoutMs'));
    assert.throws(() => kilnMetrics({ registry: {} as Registry }), isValidation('registry'));
    const registry = new Registry();
    kilnMetrics({ registry });
    assert.throws(() => kilnMetrics({ registry }), isValidation('registry'), 'twice in one registry');
    kilnMetrics({ registry, prefix: 'other_' });
    assert.throws(() => new BackgroundJobServer({ storage, observers: [{} as RunObserver] }), isValidation('observers[0]'));
    assert.throws(() => new BackgroundJobServer({ storage, tracing: 'yes' as unknown as boolean }), isValidation('tracing'));
    assert.throws(() => createDashboard({ storage, metrics: 'yes' as unknown as boolean }), isValidation('metrics'));
    assert.throws(() => new JobClient({ storage, tracing: 1 as unknown as boolean }), isValidation('tracing'));
  });
});

describe('run observers', () => {
  it('never let an observer that throws or misbehaves change a run: jobs end as without it, the others still count', async () => {
    const tmp = tempDir('kiln-observers-');
    const storage = new SqliteStorage(`${tmp.dir}/kiln.db`);
    const metrics = kilnMetrics({ logger: silentLogger });
    const hostile: RunObserver[] = [
      {
        observeRun() {
          throw null;
        },
        serverStarted() {
          throw new Error('no start for you');
        },
      },
      {
        // Never runs the job, and throws at the end.
        observeRun: () => ({
          around: () => 'not the run',
          end() {
            throw Symbol('end');
          },
        }),
      },
      { observeRun: () => ({ around: () => { throw new Error('around'); }, end() {} }) },
    ];
    const server = new BackgroundJobServer({ storage, jobs, workerCount: 4, observers: [...hostile, metrics], logger: silentLogger });
    try {
      await server.start();
      const client = new JobClient({ storage, logger: silentLogger });
      const ids = await client.enqueueMany(ok, [1, 2, 3]);
      const bad = await client.enqueue(throwsNull, undefined as never);
      await waitFor('the jobs to end', async () => (await storage.statistics()).states.succeeded === 3 && (await storage.getJob(bad))?.state === 'failed');
      for (const id of ids) assert.equal((await storage.getJob(id))?.result, String(ids.indexOf(id) * 2 + 2), 'each ran once, with its result');
      const scrape = parseScrape(await metrics.metrics());
      assert.equal(valueOf(scrape, 'kiln_job_runs_total', { job: 'metrics-ok', outcome: 'succeeded' }), 3);
      assert.equal(valueOf(scrape, 'kiln_job_runs_total', { job: 'metrics-throws-null', outcome: 'failed' }), 1);
    } finally {
      await server.dispose();
      await storage.close();
      tmp.remove();
    }
  });
});
