import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobClient, ValidationError, defineJob, silentLogger, type Storage } from '../../src/index.js';
import { newJob } from '../../src/storage/conformance/index.js';
import { storageTargets } from '../fixtures/storage-targets.js';

const job = defineJob({ name: 'tx-refused', run: (_: number) => {} });

async function jobCount(storage: Storage): Promise<number> {
  const stats = await storage.statistics();
  return Object.values(stats.states).reduce((a, b) => a + b, 0);
}

async function refused(storage: Storage, call: () => Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    assert.equal(e.field, 'options.tx');
    assert.match(e.message, new RegExp(`^options\\.tx: ${name} cannot join a transaction: `));
    return true;
  });
  assert.equal(await jobCount(storage), 0, 'nothing written');
}

/**
 * `tx` asks for the jobs to commit or roll back with the caller's own transaction. A backend that
 * cannot join one (memory, SQLite, Redis; Postgres can: postgres-tx.test.ts) refuses it with a
 * ValidationError naming `options.tx`, and writes nothing, instead of inserting the jobs anyway.
 */
for (const target of storageTargets('memory', 'sqlite', 'redis')) {
  const name = { memory: 'MemoryStorage', sqlite: 'SqliteStorage', redis: 'RedisStorage', postgres: '' }[target.name];
  describe(`${target.name} refuses tx`, () => {
    it('enqueue, enqueueMany, schedule and createJobs with a tx fail with a ValidationError and write nothing', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: silentLogger });
      try {
        await client.ready();
        const tx = { query: async () => ({ rows: [] }) };
        await refused(storage, () => client.enqueue(job, 1, { tx }), name);
        await refused(storage, () => client.enqueueMany(job, [1, 2, 3], { tx }), name);
        await refused(storage, () => client.schedule(job, 1, { delay: 1000 }, { tx }), name);
        await refused(storage, () => storage.createJobs([newJob()], { now: Date.now(), tx: null }), name);
        // Without one, the same calls write.
        await client.enqueue(job, 1);
        assert.equal(await jobCount(storage), 1);
      } finally {
        await destroy();
      }
    });
  });
}
