import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BackgroundJobServer,
  DuplicateJobError,
  JobClient,
  JobCreationCanceledError,
  MemoryStorage,
  defineJob,
  disableConcurrentExecution,
  latencyTimeout,
  silentLogger,
  type JobFilter,
} from '../../src/index.js';
import { waitFor } from '../support/wait.js';

const fast = { logger: silentLogger, pollInterval: 20, schedulePollingInterval: 20 } as const;

describe('filters', () => {
  it('run in order: global (server/client) before the job’s own, by order; every hook is called', async () => {
    const storage = new MemoryStorage();
    const calls: string[] = [];
    const spy = (tag: string, order = 0): JobFilter => ({
      name: tag,
      order,
      onCreating: () => void calls.push(`${tag}:creating`),
      onCreated: (c) => void calls.push(`${tag}:created:${c.created}`),
      onPerforming: () => void calls.push(`${tag}:performing`),
      onPerformed: (c) => void calls.push(`${tag}:performed:${String(c.result)}`),
      onStateElection: (c) => void calls.push(`${tag}:elect:${c.candidate.state.name}`),
      onStateApplied: (c) => void calls.push(`${tag}:applied:${c.newState.name}`),
    });
    const job = defineJob({ name: 'filters-order', filters: [spy('job', -5)], run: () => 7 });
    const client = new JobClient({ storage, logger: silentLogger, filters: [spy('client')] });
    const server = new BackgroundJobServer({ ...fast, storage, jobs: [job], filters: [spy('server')] });
    await server.start();
    const id = await client.enqueue(job, undefined);
    await waitFor('done', async () => calls.includes('server:applied:succeeded') && calls.includes('job:applied:succeeded'));
    await server.dispose();
    assert.deepEqual(calls.filter((c) => c.includes('creating') || c.includes('created')), [
      'job:creating',
      'client:creating',
      'job:created:true',
      'client:created:true',
    ]);
    assert.deepEqual(calls.filter((c) => c.includes('perform')), ['job:performing', 'server:performing', 'job:performed:7', 'server:performed:7'], 'order -5 runs before order 0');
    assert.deepEqual(calls.filter((c) => c.includes('elect')), ['job:elect:succeeded', 'server:elect:succeeded']);
    assert.equal((await client.get(id))?.state, 'succeeded');
  });

  it('a client filter can cancel creation (nothing written) or change the queue', async () => {
    const storage = new MemoryStorage();
    const router: JobFilter = {
      onCreating(ctx) {
        if ((ctx.args as { spam?: boolean }).spam) ctx.cancel('looks like spam');
        if ((ctx.args as { vip?: boolean }).vip) ctx.queue = 'critical';
      },
    };
    const job = defineJob({ name: 'filters-router', filters: [router], run: (_: { spam?: boolean; vip?: boolean }) => {} });
    const client = new JobClient({ storage, logger: silentLogger });
    await assert.rejects(client.enqueue(job, { spam: true }), (e: unknown) => e instanceof JobCreationCanceledError && /looks like spam/.test(e.message));
    assert.equal((await storage.statistics()).states.enqueued, 0);
    const id = await client.enqueue(job, { vip: true });
    assert.equal((await client.get(id))?.queue, 'critical');
  });

  it('an elect-state filter may replace the candidate; the replaced state stays in history', async () => {
    const storage = new MemoryStorage();
    const noRetryForTypeErrors: JobFilter = {
      order: -2000, // before automatic retry
      onStateElection(ctx) {
        if (ctx.candidate.state.name === 'failed' && ctx.error instanceof TypeError) {
          ctx.candidate = { state: { name: 'deleted', reason: 'TypeErrors are bugs, not retried', at: ctx.now } };
        }
      },
    };
    const job = defineJob({ name: 'filters-elect', filters: [noRetryForTypeErrors], run: () => { throw new TypeError('bug'); } });
    const client = new JobClient({ storage, logger: silentLogger });
    const server = new BackgroundJobServer({ ...fast, storage, jobs: [job] });
    await server.start();
    const id = await client.enqueue(job, undefined);
    await waitFor('deleted', async () => (await client.get(id))?.state === 'deleted');
    await server.dispose();
    const j = await client.get(id);
    assert.deepEqual(j?.history.map((h) => h.name), ['enqueued', 'processing', 'failed', 'deleted']);
    assert.equal(j?.stateReason, 'TypeErrors are bugs, not retried');
  });

  it('disableConcurrentExecution: one run at a time per key across workers', async () => {
    const storage = new MemoryStorage();
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    const job = defineJob({
      name: 'filters-exclusive',
      filters: [disableConcurrentExecution({ key: (a) => String((a as { account: string }).account), timeout: '10s' })],
      run: async ({ account }: { account: string }) => {
        active.set(account, (active.get(account) ?? 0) + 1);
        peak.set(account, Math.max(peak.get(account) ?? 0, active.get(account)!));
        await new Promise((r) => setTimeout(r, 20));
        active.set(account, active.get(account)! - 1);
      },
    });
    const client = new JobClient({ storage, logger: silentLogger });
    await client.enqueueMany(job, [...Array(5).fill({ account: 'a' }), ...Array(5).fill({ account: 'b' })]);
    const server = new BackgroundJobServer({ ...fast, storage, jobs: [job], workerCount: 10 });
    await server.start();
    await waitFor('all ran', async () => (await storage.statistics()).states.succeeded === 10);
    await server.dispose();
    assert.equal(peak.get('a'), 1);
    assert.equal(peak.get('b'), 1);
  });

  it('latencyTimeout deletes a job that waited too long instead of running it', async () => {
    const storage = new MemoryStorage();
    let ran = 0;
    const job = defineJob({ name: 'filters-latency', filters: [latencyTimeout('1m')], run: () => void ran++ });
    const past = { now: () => Date.now() - 5 * 60_000 };
    const oldId = await new JobClient({ storage, logger: silentLogger, clock: past }).enqueue(job, undefined);
    const freshId = await new JobClient({ storage, logger: silentLogger }).enqueue(job, undefined);
    const server = new BackgroundJobServer({ ...fast, storage, jobs: [job] });
    await server.start();
    await waitFor('both settled', async () => (await storage.getJob(oldId))?.state === 'deleted' && (await storage.getJob(freshId))?.state === 'succeeded');
    await server.dispose();
    assert.equal(ran, 1);
    assert.match((await storage.getJob(oldId))?.stateReason ?? '', /over the latency timeout/);
  });

  it('unique jobs: 50 concurrent enqueues of one key create exactly one job, all get its id', async () => {
    const storage = new MemoryStorage();
    const job = defineJob({ name: 'filters-unique', run: (_: { report: number }) => {} });
    const client = new JobClient({ storage, logger: silentLogger });
    const ids = await Promise.all(Array.from({ length: 50 }, () => client.enqueue(job, { report: 42 }, { uniqueKey: 'report:42' })));
    assert.equal(new Set(ids).size, 1);
    assert.equal((await storage.statistics()).states.enqueued, 1);
    const other = await client.enqueue(job, { report: 43 }, { uniqueKey: 'report:43' });
    assert.notEqual(other, ids[0]);
    // A collision can be an error instead; nothing is written either way.
    await assert.rejects(
      client.enqueue(job, { report: 42 }, { uniqueKey: 'report:42', onDuplicate: 'throw' }),
      (e: unknown) => e instanceof DuplicateJobError && e.existingJobId === ids[0] && /already active/.test(e.message),
    );
    await assert.rejects(client.enqueue(job, { report: 1 }, { onDuplicate: 'throw' }), /options.onDuplicate: needs options.uniqueKey/);
    assert.equal((await storage.statistics()).states.enqueued, 2);
  });
});
