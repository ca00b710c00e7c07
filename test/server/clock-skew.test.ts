import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, silentLogger } from '../../src/index.js';
import { startLivenessChild, type LivenessChild } from '../fixtures/liveness-child.js';
import { timeProbe } from '../fixtures/liveness-jobs.js';
import { urlTargets } from '../fixtures/storage-urls.js';
import { recordingLogger } from '../support/recording-logger.js';
import { waitFor } from '../support/wait.js';

/**
 * How early a job may start by the host's clock: the error of the measured offset (half a round
 * trip on this host) and the delayed scheduler's timer, far below the 5 s skew under test.
 */
const TOLERANCE_MS = 250;

for (const target of urlTargets('postgres', 'redis')) {
  describe(`clock skew: ${target.name}`, () => {
    it('a server 5 s fast measures its offset at start, warns, and the client beside it on the same clock shares the correction', async (t) => {
      const { storage, destroy } = await target.open();
      const fast = { now: () => Date.now() + 5_000 };
      const logger = recordingLogger();
      const server = new BackgroundJobServer({ storage, jobs: [timeProbe], clock: fast, logger });
      try {
        await storage.migrate();
        assert.notEqual(await storage.storageTime(), null, `${target.name} reports its clock`);
        await server.start();
        assert.ok(Math.abs(server.clockOffsetMs! + 5_000) < TOLERANCE_MS, `measured ${server.clockOffsetMs} ms`);
        assert.ok(logger.lines.some((l) => /clock is \d+ ms ahead of the storage's/.test(l)), logger.lines.join('\n'));
        const before = Date.now();
        const id = await new JobClient({ storage, clock: fast, logger: silentLogger }).schedule(timeProbe, null, { delay: 60_000 });
        const job = (await storage.getJob(id))!;
        assert.ok(Math.abs(job.createdAt - before) < TOLERANCE_MS, 'created at the storage time, not 5 s ahead');
        assert.ok(Math.abs(job.runAt! - (before + 60_000)) < TOLERANCE_MS);
        const [record] = await storage.listServers();
        assert.ok(Math.abs(record!.heartbeatAt - Date.now()) < 1_000 + TOLERANCE_MS, 'its heartbeats are on the storage clock');
      } finally {
        await server.dispose();
        await destroy();
      }
    });

    it('servers 5 s fast and 5 s slow agree on the storage clock: a cron job every second fires once a second, no job starts early, no server is declared dead', async (t) => {
      const { url, storage, destroy } = await target.open();
      const children: LivenessChild[] = [];
      try {
        await storage.migrate();
        assert.notEqual(await storage.storageTime(), null, `${target.name} reports its clock`);
        // A 4 s server timeout: uncorrected, each server would see the other's heartbeats 10 s off.
        for (const skewMs of [5_000, -5_000]) children.push(startLivenessChild(url, { skewMs, workers: 5, heartbeatMs: 500, serverTimeoutMs: 4_000 }));
        const started = await Promise.all(children.map((c) => c.started));
        for (const [i, s] of started.entries()) {
          const expected = i === 0 ? -5_000 : 5_000;
          assert.ok(s.clockOffsetMs !== null && Math.abs(s.clockOffsetMs - expected) < TOLERANCE_MS, `server ${i} measured ${s.clockOffsetMs} ms, expected about ${expected}`);
        }

        const client = new JobClient({ storage, logger: silentLogger });
        const firstAt = Math.ceil((Date.now() + 1_000) / 1_000) * 1_000;
        const scheduled = await Promise.all([0, 700, 1_400, 2_100, 2_800].map((ms) => client.schedule(timeProbe, null, { at: new Date(firstAt + ms) })));
        // Strict: one job per occurrence whatever the load, so a tick fired early cannot hide in a merge.
        await client.recurring.addOrUpdate('every-second', timeProbe, null, { cron: '* * * * * *', misfire: 'strict' });
        const runs = () => children.flatMap((c) => c.runs);
        await waitFor('the scheduled jobs and 5 cron occurrences to run', () => {
          const r = runs();
          return scheduled.every((id) => r.some((x) => x.id === id)) && r.filter((x) => !scheduled.includes(x.id)).length >= 5;
        });
        await client.recurring.remove('every-second');

        for (const run of runs()) {
          assert.ok(run.scheduledAt !== null);
          assert.ok(run.at >= run.scheduledAt - TOLERANCE_MS, `${run.id} due ${new Date(run.scheduledAt).toISOString()} started ${run.scheduledAt - run.at} ms early`);
        }
        const ticks = runs()
          .filter((r) => !scheduled.includes(r.id))
          .map((r) => r.scheduledAt!)
          .sort((a, b) => a - b);
        assert.equal(new Set(ticks).size, ticks.length, 'each occurrence ran once');
        ticks.forEach((tick, i) => i > 0 && assert.equal(tick - ticks[i - 1]!, 1_000, 'one occurrence a second'));
        assert.deepEqual(
          (await storage.listServers()).map((s) => s.id).sort(),
          started.map((s) => s.serverId).sort(),
          'neither server declared the other dead',
        );
      } finally {
        await Promise.all(children.map((c) => c.stop()));
        await destroy();
      }
    });
  });
}

describe('clock skew: sqlite', () => {
  it('one host, one clock: SQLite has no storage clock, so a server keeps its own clock uncorrected', async () => {
    const [sqlite] = urlTargets('sqlite');
    const { storage, destroy } = await sqlite!.open();
    const skewed = { now: () => Date.now() + 5_000 };
    const server = new BackgroundJobServer({ storage, jobs: [timeProbe], clock: skewed, logger: silentLogger });
    try {
      assert.equal(await storage.storageTime(), null);
      await server.start();
      assert.equal(server.clockOffsetMs, null);
      const [record] = await storage.listServers();
      assert.ok(record!.startedAt >= Date.now() + 4_000, 'its times are its own clock\'s');
    } finally {
      await server.dispose();
      await destroy();
    }
  });
});
