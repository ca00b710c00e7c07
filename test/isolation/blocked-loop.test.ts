/**
 * A job that blocks its server's event loop past the lease (issue #16, scaled down: lease 2 s,
 * heartbeat every 300 ms, a job busy for 5 s) with a second server on the same storage: the
 * heartbeat thread keeps the blocked server's leases and its server record alive, so the job and
 * every job its server held run exactly once. Without the thread (BLOCKING_HEARTBEAT_THREAD=0 in
 * the fixture) the second server recovers them after 2 s and they run twice.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, SqliteStorage, silentLogger } from '../../src/index.js';
import { PostgresStorage } from '../../src/storage/postgres/index.js';
import { WATCHED_SERVER, blockLoop, blockingJobs, quick } from '../fixtures/blocking-jobs.js';
import { storageTargets } from '../fixtures/storage-targets.js';
import { waitFor } from '../support/wait.js';

const BLOCK_MS = 5_000;

for (const target of storageTargets('sqlite', 'postgres')) {
  describe(`${target.name}: a job blocking its server's event loop past the lease`, () => {
    it('runs exactly once, and so does every job its server held, while a second server watches', async () => {
      const { storage, destroy } = await target.open();
      const args =
        storage instanceof SqliteStorage
          ? ['sqlite', storage.path]
          : ['postgres', process.env['KILN_TEST_PG_URL']!, (storage as PostgresStorage).schema];
      const child = fork(join(import.meta.dirname, '../fixtures/blocking-server.ts'), args, {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const messages: unknown[] = [];
      child.on('message', (m) => messages.push(m));
      let watcher: BackgroundJobServer | undefined;
      try {
        await waitFor('the child server', () => messages.includes('started'), 60_000);
        // start() resolved only once the heartbeat thread ran: a job may block the loop at once.
        assert.ok(messages.includes('thread') && messages.indexOf('thread') < messages.indexOf('started'), 'the heartbeat thread ran before start() resolved');
        const blockedId = (messages.find((m) => typeof m === 'object') as { id: string }).id;
        const client = new JobClient({ storage, logger: silentLogger });
        // Due together, so the blocked server claims the quick jobs in the same batch: their
        // completions wait, unwritten, while the loop is blocked.
        const at = Date.now() + 500;
        const busy = await client.schedule(blockLoop, { ms: BLOCK_MS }, { at });
        const others = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => client.schedule(quick, n, { at })));
        await waitFor('the busy job to start on the child server', async () => (await storage.getJob(busy))?.state === 'processing');

        watcher = new BackgroundJobServer({ ...WATCHED_SERVER, storage, jobs: blockingJobs, logger: silentLogger });
        await watcher.start();
        await waitFor('every job to succeed', async () => {
          const states = await Promise.all([busy, ...others].map(async (id) => (await storage.getJob(id))?.state));
          return states.every((s) => s === 'succeeded');
        }, 60_000);

        for (const id of [busy, ...others]) {
          const job = (await storage.getJob(id))!;
          const runs = job.history.filter((h) => h.name === 'processing');
          assert.equal(runs.length, 1, `job ${job.name} ${id} ran once (history: ${job.history.map((h) => `${h.name}(${h.reason ?? ''})`).join(', ')})`);
        }
        const busyJob = (await storage.getJob(busy))!;
        assert.equal(busyJob.result, String(BLOCK_MS));
        const started = busyJob.history.find((h) => h.name === 'processing')!;
        const ended = busyJob.history.find((h) => h.name === 'succeeded')!;
        assert.ok(ended.at - started.at >= BLOCK_MS, 'it blocked past the 2 s lease');
        const servers = (await storage.listServers()).map((s) => s.id);
        assert.ok(servers.includes(blockedId), 'the blocked server was never declared dead');
        assert.equal(child.exitCode, null, 'the blocked server still runs');
      } finally {
        await watcher?.dispose();
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await once(child, 'exit');
        }
        await destroy();
      }
    });
  });
}
