/**
 * `JobClient.waitFor`, one body for every backend: jobs that end while waited for and jobs that
 * had ended, each way a wait can end (result, final failure, deletion, unknown id, timeout,
 * abort), hostile jobs beside normal ones, and bad input refused before anything is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BackgroundJobServer,
  JobClient,
  JobFailedError,
  JobNotFoundError,
  ValidationError,
  WaitTimeoutError,
  silentLogger,
} from '../../src/index.js';
import { brokenJob, echoJob, flakyJob, strangeJob } from '../fixtures/event-jobs.js';
import type { StorageTarget } from '../fixtures/storage-targets.js';

const failedWith = (state: 'failed' | 'deleted', type?: string, message?: string | RegExp) => (e: unknown) => {
  assert.ok(e instanceof JobFailedError, `not a JobFailedError: ${String(e)}`);
  assert.equal(e.state, state);
  if (type !== undefined) assert.equal(e.error?.type, type);
  if (typeof message === 'string') assert.equal(e.error?.message, message);
  else if (message) assert.match(e.error?.message ?? '', message);
  return true;
};

export function waitForSuite(target: StorageTarget): void {
  describe(`waitFor: ${target.name}`, () => {
    it('settles with the result or the final failure, for jobs that end while waited for and jobs that had ended', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      const server = new BackgroundJobServer({
        storage,
        jobs: [flakyJob, brokenJob, echoJob, strangeJob],
        schedulePollingInterval: 50,
        logger: silentLogger,
      });
      try {
        // Waited for before any server runs it.
        const early = await client.enqueue(echoJob, { value: 'early' });
        const earlyResult = client.waitFor(early, { timeout: '60s' });
        await server.start();
        const flaky = await client.enqueue(flakyJob, { n: 1 });
        const broken = await client.enqueue(brokenJob, { why: 'no' });
        const strange = await client.enqueue(strangeJob, undefined);
        // Normal jobs beside the hostile ones all succeed.
        const normal = await client.enqueueMany(
          echoJob,
          Array.from({ length: 20 }, (_, i) => ({ value: `n${i}` })),
        );
        assert.deepEqual(await earlyResult, { echoed: 'early' });
        const [flakyResult, brokenResult, strangeResult, ...normalResults] = await Promise.allSettled([
          client.waitFor(flaky, { timeout: '60s' }),
          client.waitFor(broken, { timeout: '60s' }),
          client.waitFor(strange, { timeout: '60s' }),
          ...normal.map((id) => client.waitFor(id, { timeout: '60s' })),
        ]);
        assert.deepEqual(flakyResult, { status: 'fulfilled', value: { n: 1, attempt: 2 } });
        assert.equal(brokenResult?.status, 'rejected');
        failedWith('failed', 'RangeError', 'no')((brokenResult as PromiseRejectedResult).reason);
        assert.equal(strangeResult?.status, 'rejected');
        failedWith('failed', 'string', 'a bare string')((strangeResult as PromiseRejectedResult).reason);
        assert.deepEqual(
          normalResults.map((r) => (r.status === 'fulfilled' ? r.value : r.reason)),
          normal.map((_, i) => ({ echoed: `n${i}` })),
        );

        // Already ended: settled from the stored job, at once.
        assert.deepEqual(await client.waitFor(early), { echoed: 'early' });
        await assert.rejects(client.waitFor(broken), failedWith('failed', 'RangeError', 'no'));

        // Deleted while waited for; deleted before.
        const doomed = await client.enqueue(echoJob, { value: 'never runs' }, { queue: 'nobody' });
        const doomedWait = client.waitFor(doomed, { timeout: '60s' });
        await client.delete(doomed);
        await assert.rejects(doomedWait, failedWith('deleted'));
        await assert.rejects(client.waitFor(doomed), (e: unknown) => e instanceof JobFailedError && e.reason === 'Deleted by the client');
      } finally {
        await server.dispose();
        await client.events.close();
        await destroy();
      }
    });

    it('gives up on a timeout or an abort, rejects an unknown id, and refuses bad input', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      try {
        const stuck = await client.enqueue(echoJob, { value: 'x' }, { queue: 'nobody' });
        await assert.rejects(client.waitFor(stuck, { timeout: 50 }), (e: unknown) => e instanceof WaitTimeoutError && e.jobId === stuck);
        const controller = new AbortController();
        const aborted = client.waitFor(stuck, { signal: controller.signal });
        const reason = new Error('the caller left');
        controller.abort(reason);
        await assert.rejects(aborted, (e: unknown) => e === reason);
        await assert.rejects(client.waitFor(stuck, { signal: AbortSignal.abort(reason) }), (e: unknown) => e === reason);
        await assert.rejects(client.waitFor('00000000-0000-0000-0000-000000000000'), JobNotFoundError);

        for (const [call, field] of [
          [() => client.waitFor(''), 'id'],
          [() => client.waitFor(42 as unknown as string), 'id'],
          [() => client.waitFor(stuck, { timeout: -1 }), 'options.timeout'],
          [() => client.waitFor(stuck, { timeout: 'soon' as '1s' }), 'options.timeout'],
          [() => client.waitFor(stuck, { signal: 'stop' as unknown as AbortSignal }), 'options.signal'],
          [() => client.waitFor(stuck, null as unknown as object), 'options'],
        ] as const) {
          await assert.rejects(call(), (e: unknown) => e instanceof ValidationError && e.field === field);
        }
        // Still waiting works after all that: the job is where it was.
        assert.equal((await client.get(stuck))?.state, 'enqueued');
      } finally {
        await client.events.close();
        await destroy();
      }
    });
  });
}
