import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobClient, MemoryStorage, defineJob, silentLogger, type JobFilter } from '../../src/index.js';

const job = defineJob({ name: 'enqueue-many-filters', run: (_: { n: number }) => {} });

describe('enqueueMany and the client filters', () => {
  it('runs onCreating and onCreated for each job; a canceled job is left out, the others are created', async () => {
    const storage = new MemoryStorage();
    const created: string[] = [];
    const filter: JobFilter = {
      onCreating(ctx) {
        const { n } = ctx.args as { n: number };
        if (n % 3 === 0) ctx.cancel(`${n} is a multiple of three`);
        if (n === 4) ctx.queue = 'critical';
        ctx.parameters['n'] = n;
      },
      onCreated: (ctx) => void created.push(ctx.jobId),
    };
    const client = new JobClient({ storage, logger: silentLogger, filters: [filter] });

    const ids = await client.enqueueMany(job, [1, 2, 3, 4, 5, 6].map((n) => ({ n })));

    assert.equal(ids.length, 4);
    assert.deepEqual(created, ids, 'onCreated heard of each created job, in order');
    const jobs = await Promise.all(ids.map((id) => client.get(id)));
    assert.deepEqual(jobs.map((j) => j?.parameters['n']), [1, 2, 4, 5], 'the ids are the created jobs, in the order of argsList');
    assert.deepEqual(jobs.map((j) => j?.queue), ['default', 'default', 'critical', 'default'], "a filter's queue applies to its job only");
    assert.equal((await storage.statistics()).states.enqueued, 4);

    assert.deepEqual(await client.enqueueMany(job, [{ n: 3 }, { n: 6 }]), [], 'all canceled: nothing to create');
    assert.equal((await storage.statistics()).states.enqueued, 4);
  });

  it('writes nothing when a filter throws for one job or sets a bad queue', async () => {
    const storage = new MemoryStorage();
    const hostile: JobFilter = {
      onCreating(ctx) {
        const { n } = ctx.args as { n: number };
        if (n === 2) throw Object.create(null);
        if (n === 3) ctx.queue = 'no spaces allowed';
      },
    };
    const client = new JobClient({ storage, logger: silentLogger, filters: [hostile] });
    await assert.rejects(client.enqueueMany(job, [{ n: 1 }, { n: 2 }]));
    await assert.rejects(client.enqueueMany(job, [{ n: 1 }, { n: 3 }]), /queue \(set by a filter\)/);
    assert.equal((await storage.statistics()).states.enqueued, 0);
    // The same client still works for jobs the filter lets through.
    assert.equal((await client.enqueueMany(job, [{ n: 1 }, { n: 4 }])).length, 2);
  });
});
