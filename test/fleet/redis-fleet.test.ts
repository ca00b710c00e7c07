/**
 * A fleet on Redis: three server processes drain 20,000 jobs from one Redis. Every job runs, and
 * none runs twice (one Lua script claims a batch atomically, compare-and-set completions).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JobClient, silentLogger } from '../../src/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { deleteKeys } from '../fixtures/redis-helpers.js';
import { serviceUrl } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { enqueueFleetWork, exactlyOnce, readRuns, startFleetServer, type FleetServer } from './fleet.js';

const url = serviceUrl('KILN_TEST_REDIS_URL');
const JOBS = 20_000;
const PROCESSES = 3;

describe('redis fleet', { skip: url ? false : 'KILN_TEST_REDIS_URL is not set' }, () => {
  it(`${PROCESSES} server processes drain ${JOBS} jobs from one Redis: every job runs, none twice`, async (t) => {
    const tag = randomBytes(6).toString('hex');
    const prefix = `kiln-t-${tag}:`;
    const storage = new RedisStorage(url!, { prefix, logger: silentLogger });
    const dir = mkdtempSync(join(tmpdir(), 'kiln-redis-fleet-'));
    const servers: FleetServer[] = [];
    try {
      await storage.migrate();
      for (let p = 0; p < PROCESSES; p++) {
        servers.push(startFleetServer({ backend: 'redis', url: url!, namespace: prefix, name: `kiln-fleet-${tag}-p${p}`, runsFile: join(dir, `runs-${p}.txt`) }));
      }
      await Promise.all(servers.map((s) => s.started));

      // Enqueue while all three are up and subscribed: they compete from the first chunk on.
      const client = new JobClient({ storage, logger: silentLogger });
      const began = Date.now();
      const ids = await enqueueFleetWork(client, JOBS, 0);
      const enqueuedIn = Date.now() - began;
      assert.equal(new Set(ids).size, JOBS);

      const ranTotal = () => servers.reduce((n, s) => n + s.ran, 0);
      await waitFor(`${JOBS} executions`, () => servers.some((s) => s.exit) || ranTotal() >= JOBS, 120_000).catch((e: Error) => {
        throw new Error(`${e.message}; ran ${ranTotal()}; logs:\n${servers.flatMap((s) => s.logs).join('\n')}`);
      });
      for (const s of servers) assert.equal(s.exit, undefined, `${s.name} exited during the drain:\n${s.logs.join('\n')}`);
      await waitFor('every completion written', async () => (await storage.statistics()).states.succeeded === JOBS, 60_000);
      const drainedIn = Date.now() - began;

      const counts = await Promise.all(servers.map((s) => s.stop()));
      const stats = await storage.statistics();
      assert.equal(stats.states.succeeded, JOBS);
      for (const state of ['enqueued', 'processing', 'scheduled', 'failed', 'deleted', 'awaiting'] as const) {
        assert.equal(stats.states[state], 0, `no job is left ${state}`);
      }
      assert.equal(stats.succeededTotal, JOBS, 'the lifetime counter counted each job once');
      assert.equal(stats.servers, 0, 'every server removed itself');

      const runs = readRuns(servers.map((s) => s.runsFile));
      assert.equal(exactlyOnce(ids, runs), '');
      assert.equal(counts.reduce((a, b) => a + b, 0), JOBS, 'the processes report as many runs as there are jobs');
      for (const [p, n] of counts.entries()) assert.ok(n > 0, `process ${p} ran jobs too (counts ${counts.join(', ')})`);

      // The jobs' own histories agree, for a sample spread over the whole batch.
      for (let i = 0; i < JOBS; i += 97) {
        const job = await storage.getJob(ids[i]!);
        assert.deepEqual(job?.history.map((h) => h.name), ['enqueued', 'processing', 'succeeded'], `history of job ${i}`);
      }

      t.diagnostic(
        `redis: ${PROCESSES} processes drained ${JOBS} jobs in ${(drainedIn / 1000).toFixed(1)} s ` +
          `(${Math.round(JOBS / (drainedIn / 1000))} jobs/s, enqueueing took ${(enqueuedIn / 1000).toFixed(1)} s of it); runs per process: ${counts.join(', ')}`,
      );
    } finally {
      for (const s of servers) s.kill();
      await storage.close();
      await deleteKeys(url!, storage.keys.pattern);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
