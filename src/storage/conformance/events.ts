import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent, Storage } from '../contract/index.js';
import { MAX_EVENT_VALUE_BYTES } from '../contract/index.js';
import { T0, newJob, until, withStore, type ConformanceTarget } from './harness.js';

/** What a subscribed listener heard, and a way to wait until it heard enough. */
interface Recorder {
  events: JobEvent[];
  gaps: number;
  /** Resolves once `check(events)` holds; fails after 10 s. */
  heard(what: string, check: (events: JobEvent[]) => boolean): Promise<void>;
  stop(): Promise<void>;
}

async function record(storage: Storage, jobIds?: string[]): Promise<Recorder> {
  const events: JobEvent[] = [];
  const waiters = new Set<() => void>();
  const r = { events, gaps: 0 } as Recorder;
  const unsubscribe = await storage.subscribeJobEvents(
    (e) => {
      if (jobIds && !jobIds.includes(e.jobId)) return;
      events.push(e);
      for (const w of waiters) w();
    },
    () => r.gaps++,
  );
  r.heard = async (what, check) => {
    const u = until(what, () => check(events));
    waiters.add(u.changed);
    try {
      await u.promise;
    } finally {
      waiters.delete(u.changed);
    }
  };
  r.stop = unsubscribe;
  return r;
}

const types = (events: JobEvent[]) => events.map((e) => e.type);

/** Job lifecycle events: produced by the writes that make the changes, delivered across connections in order. */
export function eventCases(target: ConformanceTarget): void {
  describe(`${target.name}: job events`, () => {
    it('a listener on one connection hears every event of a job another connection moves, in order', () =>
      withStore(target, async ({ storage, connect }) => {
        const other = await connect();
        const listener = await record(storage);
        const job = newJob({ name: 'evented', queue: 'ev' });
        await other.createJobs([job], { now: T0 });
        await other.fetch({ queues: ['ev'], max: 1, serverId: 'S', leaseMs: 30_000, now: T0 + 1 });
        assert.equal(await other.mergeParameters(job.id, 'S', { progress: 40 }, T0 + 2), true);
        await other.transition(
          [
            {
              id: job.id,
              expectStates: ['processing'],
              expectServerId: 'S',
              passedThrough: [{ name: 'failed', reason: 'Error: boom', data: { error: 'boom', type: 'Error' }, at: T0 + 3 }],
              to: { name: 'scheduled', reason: 'Retry attempt 1 of 3', at: T0 + 3 },
              runAt: T0 + 100,
              attempt: 2,
            },
          ],
          T0 + 3,
        );
        assert.equal(await other.enqueueDue(T0 + 100, 10), 1);
        await other.fetch({ queues: ['ev'], max: 1, serverId: 'S', leaseMs: 30_000, now: T0 + 101 });
        await other.mergeParameters(job.id, 'S', { progress: { step: 'b' } }, T0 + 102);
        await other.transition(
          [{ id: job.id, expectStates: ['processing'], expectServerId: 'S', to: { name: 'succeeded', at: T0 + 103 }, result: '{"sent":3}' }],
          T0 + 103,
        );
        const expected = ['enqueued', 'started', 'progress', 'failed', 'retrying', 'enqueued', 'started', 'progress', 'succeeded'];
        await listener.heard('the whole life of the job', (e) => e.length >= expected.length);
        await listener.stop();
        const e = listener.events;
        assert.deepEqual(types(e), expected);
        for (const x of e) {
          assert.equal(x.jobId, job.id);
          assert.equal(x.name, 'evented');
          assert.equal(x.queue, 'ev');
        }
        assert.deepEqual(
          e.map((x) => x.attempt),
          [1, 1, 1, 1, 2, 2, 2, 2, 2],
        );
        assert.deepEqual(
          e.map((x) => x.at),
          [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 3, T0 + 100, T0 + 101, T0 + 102, T0 + 103],
        );
        assert.deepEqual(e[0], { type: 'enqueued', jobId: job.id, name: 'evented', queue: 'ev', attempt: 1, at: T0, reason: 'test' });
        assert.equal(e[1]!.type === 'started' && e[1]!.serverId, 'S');
        assert.deepEqual(e[2]!.type === 'progress' && [e[2]!.progress, e[2]!.progressOmitted], [40, false]);
        assert.deepEqual(e[3]!.type === 'failed' && [e[3]!.error, e[3]!.willRetry, e[3]!.reason], [{ type: 'Error', message: 'boom' }, true, 'Error: boom']);
        assert.deepEqual(e[4]!.type === 'retrying' && [e[4]!.runAt, e[4]!.reason], [T0 + 100, 'Retry attempt 1 of 3']);
        assert.equal(e[5]!.type === 'enqueued' && e[5]!.reason, 'Scheduled time reached');
        assert.deepEqual(e[7]!.type === 'progress' && e[7]!.progress, { step: 'b' });
        assert.deepEqual(e[8]!.type === 'succeeded' && [e[8]!.result, e[8]!.resultOmitted], [{ sent: 3 }, false]);
      }));

    it('publishes recoveries, final failures, deletions and requeues; leaves out values too large for an event', () =>
      withStore(target, async ({ storage, connect }) => {
        const other = await connect();
        const [a, b, c, d] = [newJob({ queue: 'r' }), newJob({ queue: 'r' }), newJob({ queue: 'r' }), newJob({ queue: 'r' })];
        const later = newJob({ queue: 'r', state: { name: 'scheduled', at: T0 }, runAt: T0 + 50 });
        const ids = [a.id, b.id, c.id, d.id, later.id];
        const listener = await record(storage, ids);
        await other.createJobs([a, b, c, d, later], { now: T0 });
        await other.fetch({ queues: ['r'], max: 1, serverId: 'S1', leaseMs: 10, now: T0 });
        assert.equal(await other.releaseExpiredLeases(T0 + 11, 10), 1);
        await other.fetch({ queues: ['r'], max: 4, serverId: 'S2', leaseMs: 30_000, now: T0 + 20 });
        const huge = 'x'.repeat(MAX_EVENT_VALUE_BYTES + 10);
        await other.mergeParameters(b.id, 'S2', { progress: huge }, T0 + 21);
        await other.transition(
          [
            { id: b.id, expectStates: ['processing'], expectServerId: 'S2', to: { name: 'succeeded', at: T0 + 22 }, result: JSON.stringify(huge) },
            { id: c.id, expectStates: ['processing'], expectServerId: 'S2', to: { name: 'failed', reason: 'for good', data: { error: 'e', type: 'TypeError' }, at: T0 + 22 } },
            { id: d.id, expectStates: ['processing'], to: { name: 'deleted', reason: 'by hand', at: T0 + 22 } },
          ],
          T0 + 22,
        );
        await other.removeServer('S2', T0 + 30);
        await other.transition([{ id: c.id, expectStates: ['failed'], to: { name: 'enqueued', reason: 'Requeued', at: T0 + 40 }, queue: 'other', attempt: 1 }], T0 + 40);
        const expected = 16;
        await listener.heard(`${expected} events`, (e) => e.length >= expected);
        await listener.stop();
        assert.deepEqual(
          listener.events.map((e) => [e.type, e.jobId, e.at]),
          [
            ['enqueued', a.id, T0],
            ['enqueued', b.id, T0],
            ['enqueued', c.id, T0],
            ['enqueued', d.id, T0],
            ['started', a.id, T0],
            ['enqueued', a.id, T0 + 11],
            // FIFO: a recovered job keeps its place at the head of its queue.
            ['started', a.id, T0 + 20],
            ['started', b.id, T0 + 20],
            ['started', c.id, T0 + 20],
            ['started', d.id, T0 + 20],
            ['progress', b.id, T0 + 21],
            ['succeeded', b.id, T0 + 22],
            ['failed', c.id, T0 + 22],
            ['deleted', d.id, T0 + 22],
            ['enqueued', a.id, T0 + 30],
            ['enqueued', c.id, T0 + 40],
          ],
        );
        const byType = (type: string, id: string) => listener.events.find((e) => e.type === type && e.jobId === id)!;
        assert.match((listener.events[5] as { reason: string }).reason, /lease/i);
        const progress = byType('progress', b.id);
        assert.ok(progress.type === 'progress' && progress.progressOmitted && !('progress' in progress));
        const succeeded = byType('succeeded', b.id);
        assert.ok(succeeded.type === 'succeeded' && succeeded.resultOmitted && !('result' in succeeded));
        const failed = byType('failed', c.id);
        assert.ok(failed.type === 'failed' && !failed.willRetry);
        assert.deepEqual(failed.type === 'failed' && failed.error, { type: 'TypeError', message: 'e' });
        assert.equal((byType('deleted', d.id) as { reason: string }).reason, 'by hand');
        const requeued = listener.events.slice(-2);
        assert.match((requeued[0] as { reason: string }).reason, /Server S2/);
        assert.deepEqual([requeued[1]!.queue, requeued[1]!.attempt], ['other', 1]);
      }));

    it('publishes nothing while nobody listens, and stops when the last listener leaves', () =>
      withStore(target, async ({ storage, connect, eventsPublished }) => {
        const other = await connect();
        const quiet = newJob();
        await other.createJobs([quiet], { now: T0 });
        await other.fetch({ queues: ['default'], max: 1, serverId: 'S', leaseMs: 1000, now: T0 });
        await other.transition([{ id: quiet.id, expectStates: ['processing'], to: { name: 'succeeded', at: T0 } }], T0);
        if (eventsPublished) assert.equal(await eventsPublished(), 0, 'events were published with nobody listening');

        const first = await record(storage);
        const second = await record(other);
        const heard = newJob();
        await other.createJobs([heard], { now: T0 });
        await first.heard('the enqueued job', (e) => e.some((x) => x.jobId === heard.id));
        await second.heard('the enqueued job', (e) => e.some((x) => x.jobId === heard.id));
        assert.ok(!first.events.some((e) => e.jobId === quiet.id), 'a listener heard events of writes made before it subscribed');
        const published = eventsPublished ? await eventsPublished() : 0;
        if (eventsPublished) assert.ok(published > 0, 'eventsPublished() counts nothing: the case proves nothing');

        await first.stop();
        const third = newJob();
        await storage.createJobs([third], { now: T0 });
        await second.heard('the job after one listener left', (e) => e.some((x) => x.jobId === third.id));
        assert.ok(!first.events.some((e) => e.jobId === third.id), 'an unsubscribed listener was called');

        await second.stop();
        const after = eventsPublished ? await eventsPublished() : 0;
        await other.createJobs([newJob()], { now: T0 });
        await storage.createJobs([newJob()], { now: T0 });
        if (eventsPublished) assert.equal(await eventsPublished(), after, 'events were published after the last listener left');
        assert.equal(first.gaps + second.gaps, 0);
      }));
  });
}
