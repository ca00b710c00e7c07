/**
 * A server process keeps draining while Redis kills its connections (CLIENT KILL of its command
 * and subscriber connections, three times mid-drain). It must not crash, must reconnect, and
 * every job must run exactly once.
 *
 * The Redis is a private redis-server of its own (test/support/private-servers.ts), so nothing
 * the other tests use is touched. The server's connections are found by their name in CLIENT
 * LIST, however many it holds (command, subscriber, the heartbeat thread's, the liveness mark's):
 * the test waits until they include a subscriber and a command connection, kills them all, and
 * waits for both kinds to come back.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { JobClient, silentLogger } from '../../src/index.js';
import { RedisStorage } from '../../src/storage/redis/index.js';
import { PrivateRedis, privateServersSkip } from '../support/private-servers.js';
import { waitFor } from '../support/wait.js';
import { enqueueFleetWork, exactlyOnce, readRuns, startFleetServer, waitForDrain, type FleetServer } from './fleet.js';

const JOBS = 3_000;
const JOB_MS = 10;
const KILLS = 3;

describe('redis connections killed under a running server', { skip: privateServersSkip('redis') }, () => {
  it('the server reconnects and finishes every job exactly once', async (t) => {
    const redis = await PrivateRedis.start();
    const url = redis.url;
    const tag = randomBytes(6).toString('hex');
    const prefix = `kiln-t-${tag}:`;
    const name = `kiln-reconnect-${tag}`;
    const storage = new RedisStorage(url, { prefix, logger: silentLogger });
    const admin = new Redis(url);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-redis-reconnect-'));
    let server: FleetServer | undefined;
    try {
      await storage.migrate();
      server = startFleetServer({
        backend: 'redis',
        url: url,
        namespace: prefix,
        name,
        runsFile: join(dir, 'runs.txt'),
        workers: 10,
        // Short enough that a claim whose reply died with the connection comes back within the test.
        leaseMs: 5_000,
        heartbeatMs: 500,
        checkMs: 500,
      });
      await server.started;
      const s = server;

      const client = new JobClient({ storage, logger: silentLogger });
      const ids = await enqueueFleetWork(client, JOBS, JOB_MS);

      // Kill its connections at three points of the drain; each time wait until it runs jobs again.
      const kills: Array<{ ran: number; killed: number; resumedInMs: number }> = [];
      for (let k = 1; k <= KILLS; k++) {
        await waitFor(`the drain to reach kill point ${k}`, () => s.exit || s.ran >= (k * JOBS) / (KILLS + 2), 60_000);
        assert.equal(s.exit, undefined, `the server process is alive:\n${s.logs.join('\n')}`);
        // Its connections are up, a subscriber among them (it may still be reconnecting from the last kill).
        const victims = await waitFor('its command and subscriber connections', async () => {
          const found = await connectionsNamed(admin, name);
          return found.command > 0 && found.subscriber > 0 ? found.ids : undefined;
        }, 30_000);
        const ran = s.ran;
        const killedAt = Date.now();
        for (const id of victims) await admin.client('KILL', 'ID', id);
        await waitFor(`the server to run jobs again after kill ${k}`, () => s.exit || s.ran > ran + 20, 60_000);
        kills.push({ ran, killed: victims.length, resumedInMs: Date.now() - killedAt });
        assert.equal(s.exit, undefined, `the server process did not crash:\n${s.logs.join('\n')}`);
      }

      await waitForDrain(s, storage, JOBS);

      // New connections replaced the killed ones, with the same name.
      await waitFor('it to be connected again: command and subscriber', async () => {
        const found = await connectionsNamed(admin, name);
        return found.command > 0 && found.subscriber > 0;
      }, 30_000);
      const count = await s.stop();
      const stats = await storage.statistics();
      assert.equal(stats.states.succeeded, JOBS);
      assert.equal(stats.states.processing + stats.states.enqueued + stats.states.failed + stats.states.scheduled, 0, 'no job is lost');
      assert.equal(stats.succeededTotal, JOBS, 'each job counted once');
      const runs = readRuns([s.runsFile]);
      assert.equal(exactlyOnce(ids, runs), '');
      assert.equal(count, JOBS);

      const logs = s.logs.join('\n');
      assert.match(logs, /WARN redis (command|subscriber) connection lost; reconnecting/, 'it saw the connections go');
      assert.match(logs, /INFO redis (command|subscriber) connection restored/, 'and come back');
      if (process.env['FLEET_DUMP']) for (const l of s.logs) t.diagnostic(l);

      let reclaimed = 0;
      for (const id of ids) {
        const job = await storage.getJob(id);
        if ((job?.history.filter((h) => h.name === 'processing').length ?? 0) > 1) reclaimed++;
      }
      t.diagnostic(
        `${KILLS} kills of ${kills[0]?.killed} connections each, at ${kills.map((k) => k.ran).join(', ')} jobs run; ` +
          `running new jobs again ${kills.map((k) => `${k.resumedInMs} ms`).join(', ')} after each kill; ${reclaimed} claim(s) recovered by lease expiry`,
      );
    } finally {
      server?.kill();
      await storage.close().catch(() => {});
      admin.disconnect();
      await redis.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The ids of the connections named `name` (CLIENT LIST), and how many are subscribers and command connections. */
async function connectionsNamed(admin: Redis, name: string): Promise<{ ids: string[]; command: number; subscriber: number }> {
  const lines = String(await admin.client('LIST'))
    .split('\n')
    .filter((line) => line.split(' ').includes(`name=${name}`));
  const field = (line: string, key: string) => new RegExp(`(?:^| )${key}=(\\S*)`).exec(line)?.[1] ?? '';
  const subscriber = lines.filter((l) => Number(field(l, 'sub')) + Number(field(l, 'psub')) > 0 || field(l, 'flags').includes('P')).length;
  return { ids: lines.map((l) => field(l, 'id')).filter((id) => id !== ''), command: lines.length - subscriber, subscriber };
}
