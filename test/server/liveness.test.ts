import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, silentLogger, type Storage } from '../../src/index.js';
import { startLivenessChild } from '../fixtures/liveness-child.js';
import { livenessHold } from '../fixtures/liveness-jobs.js';
import { urlTargets } from '../fixtures/storage-urls.js';
import { waitFor } from '../support/wait.js';

/** `storage`, counting the liveness checks made through it. */
function counted(storage: Storage): { storage: Storage; checks: () => number; reset(): void } {
  let checks = 0;
  const proxy = new Proxy(storage, {
    get(target, key) {
      if (key === 'removeVanishedServers') {
        return async (now: number, checkerId: string) => {
          const gone = await target.removeVanishedServers(now, checkerId);
          checks++;
          return gone;
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { storage: proxy, checks: () => checks, reset: () => (checks = 0) };
}

for (const target of urlTargets('sqlite', 'postgres', 'redis')) {
  describe(`liveness: ${target.name}`, () => {
    it('a server SIGKILLed while running 20 jobs: the living server restarts them in seconds, found gone by its liveness mark, not after the 30 s timeouts; paused, it kept them', async (t) => {
      const { url, storage, destroy } = await target.open();
      const victim = startLivenessChild(url, { workers: 20 });
      let rescuer: BackgroundJobServer | undefined;
      try {
        await storage.migrate();
        const probe = await storage.holdLiveness('probe');
        assert.ok(probe, `${target.name} holds a liveness mark here (Linux: SQLite reads /proc)`);
        await probe.release();
        const client = new JobClient({ storage, logger: silentLogger });
        const { serverId: victimId } = await victim.started;
        const ids = await client.enqueueMany(livenessHold, Array<null>(20).fill(null));
        await waitFor('the victim to run all 20 jobs', () => victim.runs.length === 20);

        // The rescuer keeps the default serverTimeout and leaseTimeout (30 s): only its liveness
        // check (every 1 s by default) can bring the jobs back sooner.
        const watched = counted(storage);
        rescuer = new BackgroundJobServer({ storage: watched.storage, jobs: [livenessHold], workerCount: 20, logger: silentLogger });
        await rescuer.start();

        // A stopped process (SIGSTOP: no event loop, no heartbeat at all) is alive: through two
        // liveness checks (the second one wholly while it is stopped) its jobs stay with it.
        await victim.signal('SIGSTOP');
        watched.reset();
        await waitFor('two liveness checks while the victim is stopped', () => watched.checks() >= 2);
        await victim.signal('SIGCONT');
        const held = await Promise.all(ids.map((id) => storage.getJob(id)));
        assert.deepEqual(
          held.map((j) => `${j?.state} ${j?.serverId}`),
          ids.map(() => `processing ${victimId}`),
          'a paused server is not gone',
        );

        const killedAt = Date.now();
        await victim.signal('SIGKILL');
        await waitFor('the 20 jobs to succeed on the rescuer', async () => (await storage.statistics()).states.succeeded === 20, 20_000);
        const seconds = (Date.now() - killedAt) / 1000;
        console.log(`# ${target.name}: 20 jobs of a SIGKILLed server restarted and done ${seconds.toFixed(2)} s after the kill`);
        for (const id of ids) {
          const job = (await storage.getJob(id))!;
          assert.deepEqual(
            job.history.map((h) => h.name),
            ['enqueued', 'processing', 'enqueued', 'processing', 'succeeded'],
          );
          assert.match(job.history[2]!.reason ?? '', new RegExp(`^Server ${victimId} is gone: `), 'requeued by liveness, not by a timeout');
          assert.equal(job.history[3]!.data?.['serverId'], rescuer.id);
        }
        assert.deepEqual((await storage.listServers()).map((s) => s.id), [rescuer.id]);
      } finally {
        await victim.signal('SIGKILL');
        await rescuer?.dispose();
        await destroy();
      }
    });
  });
}
