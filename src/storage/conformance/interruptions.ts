import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobDetails, Json, Storage } from '../contract/index.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/**
 * The bound on crash loops, storage side (issue #11): every requeue after a run ended without a
 * result — a lost lease, a dead server, a server removed while holding jobs — counts one more in
 * the job's `interruptions` parameter and ends its history entry's reason with
 * `(interruption N)`; a graceful requeue (a `transition` to `enqueued`) and a due schedule do not.
 */
export function interruptionCases(target: ConformanceTarget): void {
  describe(`${target.name}: interruptions`, () => {
    it('a lease that expires counts an interruption, in the parameters and in the reason, and the next one counts on', () =>
      withStore(target, async ({ storage }) => {
        const a = newJob({ parameters: { keep: 'x', nested: { n: [1, 2] } } });
        await storage.createJobs([a], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'S', leaseMs: 1000, now: T0 });
        assert.equal(await storage.releaseExpiredLeases(T0 + 1001, 100), 1);
        let job = await requeued(storage, a.id, 1);
        assert.match(job.stateReason ?? '', /^Lease of server S expired \(interruption 1\)$/);
        assert.deepEqual(job.parameters, { keep: 'x', nested: { n: [1, 2] }, interruptions: 1 }, 'other parameters kept');

        await storage.fetch({ queues: ['default'], max: 1, serverId: 'T', leaseMs: 1000, now: T0 + 2000 });
        assert.equal(await storage.releaseExpiredLeases(T0 + 3001, 100), 1);
        job = await requeued(storage, a.id, 2);
        assert.match(job.stateReason ?? '', /^Lease of server T expired \(interruption 2\)$/);
        assert.deepEqual(
          job.history.map((h) => [h.name, h.reason]),
          [
            ['enqueued', 'test'],
            ['processing', undefined],
            ['enqueued', 'Lease of server S expired (interruption 1)'],
            ['processing', undefined],
            ['enqueued', 'Lease of server T expired (interruption 2)'],
          ],
        );
      }));

    it("a dead server's jobs and the jobs a removed server still held are counted", () =>
      withStore(target, async ({ storage }) => {
        for (const id of ['dead', 'leaving']) {
          await storage.announceServer({ id, name: `host:${id}`, workerCount: 1, queues: ['default'], startedAt: T0, heartbeatAt: T0 });
        }
        const onDead = newJob({ parameters: { interruptions: 1 } });
        const onLeaving = newJob();
        await storage.createJobs([onDead, onLeaving], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'dead', leaseMs: 600_000, now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'leaving', leaseMs: 600_000, now: T0 });
        await storage.heartbeat('leaving', T0 + 20_000);

        assert.deepEqual(await storage.removeDeadServers(T0 + 10_000, T0 + 30_000), ['dead']);
        const dead = await requeued(storage, onDead.id, 2);
        assert.equal(dead.stateReason, 'Server dead stopped or timed out (interruption 2)');
        assert.equal(dead.history.at(-1)?.reason, dead.stateReason);
        assert.equal((await storage.getJob(onLeaving.id))?.state, 'processing', 'a live server keeps its job');

        await storage.removeServer('leaving', T0 + 40_000);
        const leaving = await requeued(storage, onLeaving.id, 1);
        assert.equal(leaving.stateReason, 'Server leaving stopped or timed out (interruption 1)');
      }));

    it('a graceful requeue (a transition to enqueued) and a due schedule count nothing', () =>
      withStore(target, async ({ storage }) => {
        const running = newJob({ parameters: { interruptions: 2 } });
        const scheduled = newJob({ state: { name: 'scheduled', reason: 'later', at: T0 }, runAt: T0 + 100 });
        await storage.createJobs([running, scheduled], { now: T0 });
        await storage.fetch({ queues: ['default'], max: 1, serverId: 'S', leaseMs: 1000, now: T0 });
        const [applied] = await storage.transition(
          [{ id: running.id, expectStates: ['processing'], expectServerId: 'S', to: { name: 'enqueued', reason: 'Server shutting down', at: T0 + 10 } }],
          T0 + 10,
        );
        assert.equal(applied, true);
        assert.equal(await storage.enqueueDue(T0 + 200, 100), 1);
        const [r, s] = await Promise.all([storage.getJob(running.id), storage.getJob(scheduled.id)]);
        assert.equal(r?.state, 'enqueued');
        assert.deepEqual(r?.parameters, { interruptions: 2 });
        assert.equal(r?.stateReason, 'Server shutting down');
        assert.equal(s?.state, 'enqueued');
        assert.deepEqual(s?.parameters, {});
      }));

    it('a stored count that is not a count is read as documented: not a number 0, a fraction cut, at most 10⁹', () =>
      withStore(target, async ({ storage }) => {
        const stored: Json[] = ['many', 2.7, 1e300, -5, null, [3]];
        const jobs = stored.map((interruptions) => newJob({ parameters: { interruptions } }));
        await storage.createJobs(jobs, { now: T0 });
        assert.equal((await storage.fetch({ queues: ['default'], max: jobs.length, serverId: 'S', leaseMs: 1000, now: T0 })).length, jobs.length);
        assert.equal(await storage.releaseExpiredLeases(T0 + 1001, 100), jobs.length);
        const counts = await Promise.all(jobs.map(async (j) => (await storage.getJob(j.id))?.parameters['interruptions']));
        assert.deepEqual(counts, [1, 3, 1_000_000_001, 1, 1, 1]);
      }));
  });
}

/** The job, asserted back in its queue with `count` interruptions counted. */
async function requeued(storage: Storage, id: string, count: number): Promise<JobDetails> {
  const job = await storage.getJob(id);
  assert.ok(job, `job ${id} exists`);
  assert.equal(job.state, 'enqueued');
  assert.equal(job.serverId, null);
  assert.equal(job.parameters['interruptions'], count);
  assert.equal(job.history.at(-1)?.reason, job.stateReason, 'the history says what the state says');
  return job;
}
