import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, defineJob, silentLogger, type JobDetails, type Storage } from '../../src/index.js';
import { storageTargets } from '../fixtures/storage-targets.js';
import { waitFor } from '../support/wait.js';

let runs = 0;
const counted = defineJob({ name: 'interruptions-counted', retry: { attempts: 0 }, run: () => void runs++ });
const retried = defineJob({ name: 'interruptions-retried', retry: { attempts: 1, delays: [1] }, run: (_: null, ctx) => `attempt ${ctx.attempt}` });

/**
 * What a backend's lease or dead-server recovery does to a job (phase 2 of #11, in each backend):
 * put it back in its queue with its `interruptions` parameter counted up. Driven here through the
 * storage's own `transition`, as the engine sees it.
 */
async function interrupted(storage: Storage, id: string, interruptions: number): Promise<void> {
  const [applied] = await storage.transition(
    [{ id, expectStates: ['enqueued'], to: { name: 'enqueued', reason: 'Lease expired: requeued', at: Date.now() }, parameters: { interruptions } }],
    Date.now(),
  );
  assert.equal(applied, true);
}

async function ended(client: JobClient, id: string): Promise<JobDetails> {
  return waitFor(`job ${id} ended`, async () => {
    const job = await client.get(id);
    return job && (job.state === 'succeeded' || job.state === 'failed') ? job : undefined;
  });
}

for (const target of storageTargets('memory', 'sqlite')) {
  describe(`the bound on involuntary re-runs, engine side: ${target.name}`, () => {
    it('runs a job interrupted maxInterruptions times, fails one interrupted more without running it, and a requeue starts the count again', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      const server = new BackgroundJobServer({ storage, jobs: [counted, retried], maxInterruptions: 2, pollInterval: 20, logger: silentLogger });
      try {
        await client.ready();
        const [atBound, overBound] = [await client.enqueue(counted, undefined), await client.enqueue(counted, undefined)];
        await interrupted(storage, atBound, 2);
        await interrupted(storage, overBound, 3);
        runs = 0;
        await server.start();
        assert.equal((await ended(client, atBound)).state, 'succeeded');
        const failed = await ended(client, overBound);
        assert.equal(failed.state, 'failed');
        assert.equal(failed.stateReason, 'Its runs kept ending without a result (server crashed or lost its lease 3 times)');
        assert.equal(failed.stateData?.['type'], 'Interrupted');
        assert.equal(runs, 1, 'the job over the bound did not run');

        assert.equal(await client.requeue(overBound), true);
        const again = await ended(client, overBound);
        assert.equal(again.state, 'succeeded', 'requeued from failed: no interruptions counted against it');
        assert.equal(again.parameters['interruptions'], 0);
        assert.equal(runs, 2);
      } finally {
        await server.dispose();
        await destroy();
      }
    });

    it('retries follow the job policy: the retry starts with no interruptions counted, and runs', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      const server = new BackgroundJobServer({ storage, jobs: [counted, retried], pollInterval: 20, schedulePollingInterval: 20, logger: silentLogger });
      try {
        await client.ready();
        const id = await client.enqueue(retried, null);
        await interrupted(storage, id, 4); // over the default bound of 3
        await server.start();
        const job = await ended(client, id);
        assert.equal(job.state, 'succeeded');
        assert.equal(job.result, '"attempt 2"');
        assert.equal(job.parameters['interruptions'], 0);
        assert.deepEqual(
          job.history.map((h) => h.name),
          ['enqueued', 'enqueued', 'processing', 'failed', 'scheduled', 'enqueued', 'processing', 'succeeded'],
        );
        assert.match(job.history[3]!.reason ?? '', /lost its lease 4 times/);
      } finally {
        await server.dispose();
        await destroy();
      }
    });
  });
}
