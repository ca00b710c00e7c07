/**
 * A server process keeps draining while Postgres restarts under it (`pg_ctl restart -m fast`:
 * every connection is terminated, then the database is down for a moment). It must not crash,
 * must back off and reconnect, and every job must run exactly once.
 *
 * The Postgres it restarts is a private cluster of its own (test/support/private-servers.ts), so
 * it runs beside the other tests and never touches the shared server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobClient, silentLogger } from '../../src/index.js';
import { openPostgresStore, withPgClient } from '../fixtures/postgres-store.js';
import { PrivatePostgres, privateServersSkip } from '../support/private-servers.js';
import { waitFor } from '../support/wait.js';
import { enqueueFleetWork, exactlyOnce, readRuns, startFleetServer, waitForDrain, type FleetServer } from './fleet.js';

const JOBS = 3_000;
const JOB_MS = 20;

const skip = privateServersSkip('postgres');

describe('postgres restart under a running server', { skip }, () => {
  it('the server backs off, reconnects and finishes every job exactly once', async (t) => {
    const cluster = await PrivatePostgres.start();
    const url = cluster.url;
    const store = await openPostgresStore(url);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-pg-restart-'));
    let server: FleetServer | undefined;
    try {
      server = startFleetServer({
        backend: 'postgres',
        url,
        namespace: store.schema,
        name: `${store.schema}_restart`,
        runsFile: join(dir, 'runs.txt'),
        workers: 10,
        // Short enough that a claim whose reply died with the connection comes back within the test.
        leaseMs: 5_000,
        heartbeatMs: 500,
        checkMs: 500,
      });
      await server.started;
      const s = server;

      const client = new JobClient({ storage: store.storage, logger: silentLogger });
      const ids = await enqueueFleetWork(client, JOBS, JOB_MS);

      await waitFor('the drain to be under way', () => s.ran >= 100, 60_000);
      const ranBefore = s.ran;
      const restartBegan = Date.now();
      await cluster.restart();
      const restartedAt = Date.now();
      const ranDuringRestart = s.ran;
      assert.ok(ranDuringRestart < JOBS, `the restart happened mid-drain (ran ${ranDuringRestart} of ${JOBS})`);

      await waitForDrain(s, store.storage, JOBS);
      const finishedAt = Date.now();

      const count = await s.stop();
      const stats = await store.storage.statistics();
      assert.equal(stats.states.succeeded, JOBS);
      assert.equal(stats.states.processing + stats.states.enqueued + stats.states.failed + stats.states.scheduled, 0, 'no job is lost');
      const runs = readRuns([s.runsFile]);
      assert.equal(exactlyOnce(ids, runs), '');
      assert.equal(count, JOBS);

      // Its log tells the story: the outage, the back-off, the way back.
      const logs = s.logs.join('\n');
      assert.match(logs, /WARN .*(terminating connection|shutting down|ECONNREFUSED)/, 'it saw the outage');
      assert.match(logs, /WARN .*retrying in \d+ ms/, 'it backed off');
      assert.match(logs, /LISTEN on \S+ restored/, 'its wake-ups came back');
      const at = (line: string | undefined) => (line ? Date.parse(line.slice(0, 24)) : NaN);
      const firstWarning = at(s.logs.find((l) => / WARN /.test(l)));
      const lastRecovery = at(s.logs.findLast((l) => /works again|restored/.test(l)));

      // Claims whose reply was lost with the connection are recovered by lease expiry; they show
      // as a second processing entry in the history (never as a second execution: see the runs).
      const { rows } = await withPgClient(url, (admin) =>
        admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${store.schema}".jobs
            WHERE (SELECT count(*) FROM json_array_elements(('[' || history || ']')::json) e WHERE e->>'name' = 'processing') > 1`,
        ),
      );
      const reclaimed = rows[0]?.n ?? 0;

      if (process.env['FLEET_DUMP']) for (const l of s.logs) t.diagnostic(l);
      const warnings = s.logs.filter((l) => / WARN /.test(l)).length;
      t.diagnostic(
        `restart took ${((restartedAt - restartBegan) / 1000).toFixed(1)} s (ran ${ranBefore} before, ${ranDuringRestart} by its end); ` +
          `the server saw the outage and was fully back ${lastRecovery - firstWarning} ms later (first warning to last recovery line, ${warnings} warning lines); ` +
          `all ${JOBS} done ${((finishedAt - restartedAt) / 1000).toFixed(1)} s after the restart command returned; ${reclaimed} claim(s) recovered by lease expiry`,
      );
    } finally {
      server?.kill();
      await store.destroy().catch(() => {});
      await cluster.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
