import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { T0, newJob } from '../../src/storage/conformance/index.js';
import type { JobEvent } from '../../src/storage/contract/index.js';
import { openPostgresStore, withPgClient } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const url = serviceUrl('KILN_TEST_PG_URL');

/** A connection of its own for the test, beside the storage's pool. */
const admin = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(url!, fn);

/** Postgres liveness marks and job events when their connections are lost (issue #15, #16). */
describe('postgres: liveness marks and job events across lost connections', { skip: url ? false : 'KILN_TEST_PG_URL is not set' }, () => {
  it('a mark whose connection is killed is taken again (lock first, then record); meanwhile a checker may find its server gone', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      const other = await store.connect();
      const hold = await storage.holdLiveness('A');
      assert.ok(hold && typeof hold.heldSince === 'number');
      const markPid = async () =>
        admin(async (c) => (await c.query(`SELECT pid FROM "${store.schema}".liveness WHERE server_id = 'A'`)).rows[0]?.pid as number | undefined);
      const first = await markPid();
      assert.ok(first);
      assert.deepEqual(await other.removeVanishedServers(T0, 'checker'), []);
      await admin((c) => c.query('SELECT pg_terminate_backend($1)', [first]));
      await waitFor('the mark to be lost', () => hold.heldSince === null, 10_000);
      await waitFor('the mark to be held again', () => hold.heldSince !== null, 10_000);
      const second = await markPid();
      assert.ok(second && second !== first, 'the record names the new connection');
      assert.deepEqual(await other.removeVanishedServers(T0, 'checker'), [], 'held again: not gone');
      await hold.release();
      assert.equal(await markPid(), undefined, 'release deletes the record');
      assert.equal(hold.heldSince, null);
    } finally {
      await store.destroy();
    }
  });

  it('close() ends the mark without deleting its record: others find the server gone', async () => {
    const store = await openPostgresStore(url!);
    try {
      const mine = await store.connect();
      await mine.announceServer({ id: 'M', name: 'm', workerCount: 1, queues: ['default'], startedAt: T0, heartbeatAt: T0 });
      assert.ok(await mine.holdLiveness('M'));
      await mine.close();
      let gone: string[] = [];
      await waitFor('M to be found gone', async () => (gone = await store.storage.removeVanishedServers(T0, 'checker')).length > 0, 10_000);
      assert.deepEqual(gone, ['M']);
      assert.deepEqual(await store.storage.listServers(), []);
    } finally {
      await store.destroy();
    }
  });

  it('events carry any text: quotes, backslashes, U+0000, lone surrogates, non-BMP characters', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      const other = await store.connect();
      const heard: JobEvent[] = [];
      const unsubscribe = await storage.subscribeJobEvents((e) => heard.push(e));
      const nasty = `it's \\ "quoted" \u0000 nul \ud800 lone 😀 E'\\x00'`;
      const job = newJob({ queue: 'q', state: { name: 'enqueued', reason: nasty, at: T0 } });
      await other.createJobs([job], { now: T0 });
      await other.fetch({ queues: ['q'], max: 1, serverId: 'S', leaseMs: 30_000, now: T0 + 1 });
      await other.mergeParameters(job.id, 'S', { progress: { text: nasty } }, T0 + 2);
      await other.transition(
        [{ id: job.id, expectStates: ['processing'], expectServerId: 'S', to: { name: 'failed', reason: nasty, data: { error: nasty, type: 'Error' }, at: T0 + 3 } }],
        T0 + 3,
      );
      await waitFor('four events', () => heard.length >= 4, 10_000);
      await unsubscribe();
      assert.deepEqual(
        heard.map((e) => e.type),
        ['enqueued', 'started', 'progress', 'failed'],
      );
      const [enqueued, , progress, failed] = heard;
      assert.equal(enqueued?.type === 'enqueued' && enqueued.reason, nasty);
      assert.deepEqual(progress?.type === 'progress' && progress.progress, { text: nasty });
      assert.deepEqual(failed?.type === 'failed' && [failed.reason, failed.error.message], [nasty, nasty]);
    } finally {
      await store.destroy();
    }
  });

  it("a transactional enqueue's event arrives only on commit; a recurring occurrence and the due, expired-lease and removed-server requeues publish theirs", async () => {
    const store = await openPostgresStore(url!);
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
      const { storage } = store;
      const other = await store.connect();
      const heard: JobEvent[] = [];
      const unsubscribe = await storage.subscribeJobEvents((e) => heard.push(e));
      const [lost, kept] = [newJob({ queue: 'tx' }), newJob({ queue: 'tx' })];
      await app.query('BEGIN');
      await other.createJobs([lost], { now: T0, tx: app });
      await app.query('ROLLBACK');
      await app.query('BEGIN');
      await other.createJobs([kept], { now: T0, tx: app });
      await app.query('COMMIT');
      await other.upsertRecurring({
        id: 'every', name: 'rec', queue: 'rq', args: '{}', cron: '* * * * *', timeZone: 'UTC', misfire: 'relaxed',
        nextExecution: T0, lastExecution: null, lastJobId: null, paused: false, createdAt: T0, error: null,
      });
      const occurrence = newJob({ name: 'rec', queue: 'rq', state: { name: 'enqueued', reason: 'Triggered by recurring job every', at: T0 + 1 } });
      assert.equal(await other.advanceRecurring({ id: 'every', expectNext: T0, nextExecution: T0 + 60_000, lastExecution: T0, jobs: [occurrence] }, T0 + 1), true);
      const due = newJob({ queue: 'd', state: { name: 'scheduled', at: T0 }, runAt: T0 + 5 });
      await other.createJobs([due], { now: T0 });
      assert.equal(await other.enqueueDue(T0 + 5, 10), 1);
      await other.fetch({ queues: ['d'], max: 1, serverId: 'gone', leaseMs: 10, now: T0 + 6 });
      assert.equal(await other.releaseExpiredLeases(T0 + 20, 10), 1);
      await other.announceServer({ id: 'gone', name: 'g', workerCount: 1, queues: ['d'], startedAt: T0, heartbeatAt: T0 });
      await other.fetch({ queues: ['d'], max: 1, serverId: 'gone', leaseMs: 60_000, now: T0 + 21 });
      assert.deepEqual(await other.removeDeadServers(T0 + 30, T0 + 30), ['gone']);
      const expected = [
        ['enqueued', kept.id, T0],
        ['enqueued', occurrence.id, T0 + 1],
        ['enqueued', due.id, T0 + 5],
        ['started', due.id, T0 + 6],
        ['enqueued', due.id, T0 + 20],
        ['started', due.id, T0 + 21],
        ['enqueued', due.id, T0 + 30],
      ];
      await waitFor(`${expected.length} events`, () => heard.length >= expected.length, 10_000);
      await unsubscribe();
      assert.deepEqual(
        heard.map((e) => [e.type, e.jobId, e.at]),
        expected,
      );
      const reasons = heard.filter((e) => e.type === 'enqueued' && e.jobId === due.id).map((e) => (e.type === 'enqueued' ? e.reason : ''));
      assert.equal(reasons[0], 'Scheduled time reached');
      assert.match(reasons[1] ?? '', /^Lease of server gone expired \(interruption 1\)$/);
      assert.match(reasons[2] ?? '', /^Server gone stopped or timed out \(interruption 2\)$/);
      assert.ok(!heard.some((e) => e.jobId === lost.id), 'a rolled-back enqueue published nothing');
    } finally {
      await app.end();
      await store.destroy();
    }
  });

  it('a killed LISTEN connection is a gap for job event listeners; events flow again once it is back', async () => {
    const store = await openPostgresStore(url!);
    try {
      const { storage } = store;
      const other = await store.connect();
      const heard: JobEvent[] = [];
      let gaps = 0;
      const unsubscribe = await storage.subscribeJobEvents(
        (e) => heard.push(e),
        () => gaps++,
      );
      const before = newJob();
      await other.createJobs([before], { now: T0 });
      await waitFor('the first event', () => heard.some((e) => e.jobId === before.id), 10_000);
      const killed = await admin(
        async (c) =>
          (
            await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%LISTEN%'`, [
              store.schema,
            ])
          ).rowCount,
      );
      assert.equal(killed, 1);
      await waitFor('a gap', () => gaps > 0, 10_000);
      const after = newJob();
      await other.createJobs([after], { now: T0 });
      await waitFor('an event after the reconnect', () => heard.some((e) => e.jobId === after.id), 10_000);
      await unsubscribe();
      const rows = await admin(async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${store.schema}".event_listeners`)).rows[0].n as number);
      assert.equal(rows, 0, 'the last listener leaving withdraws the announcement');
    } finally {
      await store.destroy();
    }
  });
});
