import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { BackgroundJobServer, JobClient, MemoryStorage, SqliteStorage, ValidationError, defineJob, serveHealth, silentLogger, type ServerHealth } from '../../src/index.js';
import { kilnMetrics } from '../../src/metrics/index.js';
import { tempDir } from '../dashboard/helpers.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';
import { deferred, waitFor } from '../support/wait.js';

const pgUrl = serviceUrl('KILN_TEST_PG_URL');
const release = deferred();
const holds = defineJob({ name: 'health-holds', run: () => release.promise });

describe('health', () => {
  it('tells liveness and readiness through the life of a server, and over HTTP', async () => {
    const tmp = tempDir('kiln-health-');
    const storage = new SqliteStorage(join(tmp.dir, 'kiln.db'));
    const server = new BackgroundJobServer({ storage, jobs: [holds], workerCount: 3, logger: silentLogger, name: 'health-test' });
    const before = await server.health();
    assert.deepEqual([before.live, before.ready, before.status, before.lastHeartbeatAt, before.startedAt], [false, false, 'new', null, null]);
    await server.start();
    const endpoint = await serveHealth({ server, port: 0, host: '127.0.0.1', metrics: kilnMetrics({ storage }) });
    try {
      const id = await new JobClient({ storage, logger: silentLogger }).enqueue(holds, undefined as never);
      await waitFor('the job to run', async () => (await storage.getJob(id))?.state === 'processing');
      const running = await waitFor('a heartbeat', async (): Promise<ServerHealth | undefined> => {
        const h = await server.health();
        return h.lastHeartbeatAt !== null ? h : undefined;
      });
      assert.equal(running.live, true);
      assert.equal(running.ready, true);
      assert.equal(running.storage.reachable, true);
      assert.equal(running.runningJobs, 1);
      assert.equal(running.workerCount, 3);
      assert.equal(running.name, 'health-test');

      const live = await fetch(`${endpoint.url}/healthz`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { live: true, status: 'running' });
      const ready = await fetch(`${endpoint.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { runningJobs: number }).runningJobs, 1);
      assert.equal((await fetch(`${endpoint.url}/metrics`)).status, 200);
      assert.equal((await fetch(`${endpoint.url}/healthz`, { method: 'POST' })).status, 405);
      assert.equal((await fetch(`${endpoint.url}/nothing`)).status, 404);
      release.resolve();
      await waitFor('the job to end', async () => (await storage.getJob(id))?.state === 'succeeded');

      // The storage goes away: not ready (the reason in health(), not over HTTP), still live.
      await storage.close();
      const down = await server.health();
      assert.deepEqual([down.live, down.ready, down.storage.reachable], [true, false, false]);
      assert.match(down.storage.error ?? '', /closed/);
      const notReady = await fetch(`${endpoint.url}/readyz`);
      assert.equal(notReady.status, 503);
      const body = (await notReady.json()) as { ready: boolean; storage: Record<string, unknown> };
      assert.equal(body.ready, false);
      assert.deepEqual(body.storage, { reachable: false, latencyMs: null }, 'no error text over HTTP');
      assert.equal((await fetch(`${endpoint.url}/healthz`)).status, 200, 'a storage outage does not fail liveness');
    } finally {
      release.resolve();
      await server.dispose();
      await endpoint.close();
      await storage.close();
      tmp.remove();
    }
    const after = await server.health({ timeoutMs: 50 });
    assert.deepEqual([after.live, after.ready, after.status], [false, false, 'stopped']);
  });

  it('gives up waiting for a storage that does not answer after timeoutMs', { skip: !pgUrl && 'KILN_TEST_PG_URL is not set' }, async () => {
    const store = await openPostgresStore(pgUrl!);
    const server = new BackgroundJobServer({ storage: store.storage, jobs: [holds], logger: silentLogger });
    const locker = new pg.Client({ connectionString: pgUrl! });
    await locker.connect();
    try {
      await server.start();
      assert.equal((await server.health()).ready, true);
      // Another session holds the servers table: reads of it wait for the lock.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${store.schema}".servers IN ACCESS EXCLUSIVE MODE`);
      const stuck = await server.health({ timeoutMs: 100 });
      assert.deepEqual([stuck.live, stuck.ready, stuck.storage.reachable], [true, false, false]);
      assert.match(stuck.storage.error ?? '', /did not answer within 100 ms/);
      await locker.query('ROLLBACK');
      await waitFor('the storage to answer again', async () => (await server.health()).ready);
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
      await server.dispose();
      await store.destroy();
    }
  });

  it('refuses bad options with a ValidationError naming the field', async () => {
    const server = new BackgroundJobServer({ storage: new MemoryStorage(), logger: silentLogger });
    const isValidation = (field: string) => (e: unknown) => e instanceof ValidationError && e.field === field;
    await assert.rejects(server.health({ timeoutMs: 0 }), isValidation('timeoutMs'));
    await assert.rejects(server.health({ timeoutMs: Number.NaN }), isValidation('timeoutMs'));
    await assert.rejects(serveHealth({ server, port: 70_000 }), isValidation('port'));
    await assert.rejects(serveHealth({ server, port: 0, metrics: {} as never }), isValidation('metrics'));
    await assert.rejects(serveHealth({ server: {} as never, port: 0 }), isValidation('server'));
  });
});
