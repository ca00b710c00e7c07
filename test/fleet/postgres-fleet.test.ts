/**
 * A fleet on Postgres: three server processes drain 20,000 jobs from one database. Every job
 * runs, and none runs twice (`FOR UPDATE SKIP LOCKED` claims, compare-and-set completions).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { JobClient, silentLogger } from '../../src/index.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { enqueueFleetWork, exactlyOnce, readRuns, startFleetServer, type FleetServer } from './fleet.js';

const url = serviceUrl('KILN_TEST_PG_URL');
const JOBS = 20_000;
const PROCESSES = 3;

describe('postgres fleet', { skip: url ? false : 'KILN_TEST_PG_URL is not set' }, () => {
  it(`${PROCESSES} server processes drain ${JOBS} jobs from one database: every job runs, none twice`, async (t) => {
    const store = await openPostgresStore(url!);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-pg-fleet-'));
    const servers: FleetServer[] = [];
    try {
      for (let p = 0; p < PROCESSES; p++) {
        servers.push(
          startFleetServer({ backend: 'postgres', url: url!, namespace: store.schema, name: `${store.schema}_p${p}`, runsFile: join(dir, `runs-${p}.txt`) }),
        );
      }
      await Promise.all(servers.map((s) => s.started));

      // Enqueue while all three are up and listening: they compete from the first chunk on.
      const client = new JobClient({ storage: store.storage, logger: silentLogger });
      const began = Date.now();
      const ids = await enqueueFleetWork(client, JOBS, 0);
      const enqueuedIn = Date.now() - began;
      assert.equal(new Set(ids).size, JOBS);

      const ranTotal = () => servers.reduce((n, s) => n + s.ran, 0);
      await waitFor(`${JOBS} executions (so far ${ranTotal()})`, () => servers.some((s) => s.exit) || ranTotal() >= JOBS, 120_000).catch((e: Error) => {
        throw new Error(`${e.message}; ran ${ranTotal()}; logs:\n${servers.flatMap((s) => s.logs).join('\n')}`);
      });
      for (const s of servers) assert.equal(s.exit, undefined, `${s.name} exited during the drain:\n${s.logs.join('\n')}`);
      await waitFor('every completion written', async () => (await store.storage.statistics()).states.succeeded === JOBS, 60_000);
      const drainedIn = Date.now() - began;

      const counts = await Promise.all(servers.map((s) => s.stop()));
      const stats = await store.storage.statistics();
      assert.equal(stats.states.succeeded, JOBS);
      for (const state of ['enqueued', 'processing', 'scheduled', 'failed', 'deleted', 'awaiting'] as const) {
        assert.equal(stats.states[state], 0, `no job is left ${state}`);
      }
      assert.equal(stats.servers, 0, 'every server removed itself');

      const runs = readRuns(servers.map((s) => s.runsFile));
      assert.equal(exactlyOnce(ids, runs), '');
      assert.equal(counts.reduce((a, b) => a + b, 0), JOBS, 'the processes report as many runs as there are jobs');
      for (const [p, n] of counts.entries()) assert.ok(n > 0, `process ${p} ran jobs too (counts ${counts.join(', ')})`);

      // The jobs' own histories agree: one processing entry each, and no recovery.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ runs: number; jobs: number }>(
          `SELECT n AS runs, count(*)::int AS jobs FROM (
             SELECT (SELECT count(*) FROM json_array_elements(('[' || history || ']')::json) e WHERE e->>'name' = 'processing')::int AS n
               FROM "${store.schema}".jobs) h
            GROUP BY n ORDER BY n`,
        );
        assert.deepEqual(rows, [{ runs: 1, jobs: JOBS }], 'every job has exactly one processing entry in its history');
      } finally {
        await admin.end();
      }

      t.diagnostic(
        `postgres: ${PROCESSES} processes drained ${JOBS} jobs in ${(drainedIn / 1000).toFixed(1)} s ` +
          `(${Math.round(JOBS / (drainedIn / 1000))} jobs/s, enqueueing took ${(enqueuedIn / 1000).toFixed(1)} s of it); runs per process: ${counts.join(', ')}`,
      );
    } finally {
      for (const s of servers) s.kill();
      await store.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
