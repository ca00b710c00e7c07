import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ValidationError } from '../../src/errors.js';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_PG_URL');

/** Transactional enqueue: jobs created on the application's client exist iff it commits. */
describe('postgres: transactional enqueue', { skip: url ? false : 'KILN_TEST_PG_URL is not set' }, () => {
  it('a rolled-back transaction leaves no job; a committed one exists and is fetchable', async () => {
    const store = await openPostgresStore(url!);
    const app = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const { storage } = store;
      const client = await app.connect();
      try {
        const lost = newJob({ queue: 'tx' });
        await client.query('BEGIN');
        const created = await storage.createJobs([lost], { now: T0, tx: client });
        assert.deepEqual(created, [{ id: lost.id, created: true }]);
        // Not visible outside the transaction before it commits.
        assert.equal(await storage.getJob(lost.id), null);
        await client.query('ROLLBACK');
        assert.equal(await storage.getJob(lost.id), null);
        assert.deepEqual(await storage.fetch({ queues: ['tx'], max: 10, serverId: 's', leaseMs: 1000, now: T0 }), []);

        const kept = newJob({ queue: 'tx' });
        await client.query('BEGIN');
        await client.query('CREATE TEMP TABLE app_work (n int)');
        await storage.createJobs([kept], { now: T0, tx: client });
        assert.equal(await storage.getJob(kept.id), null);
        await client.query('COMMIT');
        assert.equal((await storage.getJob(kept.id))?.state, 'enqueued');
        const got = await storage.fetch({ queues: ['tx'], max: 10, serverId: 's', leaseMs: 1000, now: T0 });
        assert.deepEqual(
          got.map((j) => j.id),
          [kept.id],
        );
      } finally {
        client.release();
      }
    } finally {
      await app.end();
      await store.destroy();
    }
  });

  it('the wake-up of a transactional enqueue arrives only on commit', async () => {
    const store = await openPostgresStore(url!);
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
      const queues: string[] = [];
      let wake: () => void = () => {};
      const unsubscribe = await store.storage.subscribe((e) => {
        if (e.type === 'enqueued') queues.push(e.queue);
        wake();
      });
      await app.query('BEGIN');
      await store.storage.createJobs([newJob({ queue: 'rolled-back' })], { now: T0, tx: app });
      await app.query('ROLLBACK');
      await app.query('BEGIN');
      await store.storage.createJobs([newJob({ queue: 'committed' })], { now: T0, tx: app });
      await app.query('COMMIT');
      await new Promise<void>((resolve) => {
        wake = () => queues.includes('committed') && resolve();
        wake();
      });
      assert.deepEqual(queues, ['committed']);
      await unsubscribe();
    } finally {
      await app.end();
      await store.destroy();
    }
  });

  it('rejects a tx that is not a client, and writes nothing', async () => {
    const store = await openPostgresStore(url!);
    try {
      await assert.rejects(
        store.storage.createJobs([newJob()], { now: T0, tx: {} }),
        (e) => e instanceof ValidationError && e.field === 'options.tx',
      );
      assert.equal((await store.storage.statistics()).states.enqueued, 0);
    } finally {
      await store.destroy();
    }
  });
});
