import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { JobClient, defineJob, silentLogger, type Storage, type TransitionChange } from '../../src/index.js';
import { systemClock } from '../../src/clock.js';
import { Completer } from '../../src/server/completer.js';
import { StateMachine } from '../../src/states/state-machine.js';
import { recordingLogger } from '../support/recording-logger.js';
import { storageTargets, type StorageTarget } from '../fixtures/storage-targets.js';
import { openPostgresStore } from '../fixtures/postgres-store.js';
import { serviceUrl } from '../support/services.js';

const job = defineJob({ name: 'completer-job', run: (_: number) => {} });
const SERVER = 'completer-test-server';

/**
 * The real storage, with `transition` answering `refuse(changes)` by throwing it when it returns
 * an error: a storage that refuses one specific change, or everything for a while.
 */
function refusing(storage: Storage, refuse: (changes: TransitionChange[]) => unknown): Storage & { calls: () => number } {
  let calls = 0;
  return new Proxy(storage, {
    get(target, key) {
      if (key === 'calls') return () => calls;
      if (key === 'transition') {
        return async (changes: TransitionChange[], now: number) => {
          calls++;
          const error = refuse(changes);
          if (error) throw error;
          return target.transition(changes, now);
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Storage & { calls: () => number };
}

/** `n` jobs claimed by this test's server, and the `succeeded` change that would end each run. */
async function claimed(storage: Storage, n: number, states: StateMachine): Promise<TransitionChange[]> {
  const client = new JobClient({ storage, logger: silentLogger });
  await client.enqueueMany(job, Array.from({ length: n }, (_, i) => i));
  const jobs = await storage.fetch({ queues: ['default'], max: n, serverId: SERVER, leaseMs: 600_000, now: Date.now() });
  assert.equal(jobs.length, n);
  return jobs.map((j) => {
    const change = states.change(j.id, { state: { name: 'succeeded', reason: 'Completed', at: Date.now() } }, { states: ['processing'], serverId: SERVER });
    change.result = '1';
    return change;
  });
}

async function statesOf(storage: Storage, changes: TransitionChange[]): Promise<Map<string, string>> {
  const jobs = await Promise.all(changes.map((c) => storage.getJob(c.id)));
  return new Map(jobs.map((j) => [j!.id, `${j!.state}${j!.state === 'failed' ? `: ${j!.stateReason}` : ''}`]));
}

function completerSuite(target: StorageTarget) {
  describe(`completer over ${target.name}: a completion that cannot be written never holds the others hostage`, () => {
    async function setup(refuse: (changes: TransitionChange[]) => unknown, n = 40, onLine?: (line: string) => void) {
      const { storage: real, destroy } = await target.open();
      await real.migrate();
      const storage = refusing(real, refuse);
      const logger = recordingLogger(onLine);
      const states = new StateMachine(storage, systemClock, logger);
      const changes = await claimed(real, n, states);
      return { real, storage, logger, completer: new Completer(states, logger), changes, destroy };
    }

    it('isolates the one change the storage refuses, writes the rest, and records that job failed with the reason', async () => {
      let poison = '';
      const { real, storage, completer, changes, destroy } = await setup((cs) =>
        cs.some((c) => c.id === poison && c.to.name === 'succeeded') ? Object.assign(new Error('value too long for type character varying(8)'), { code: '22001' }) : undefined,
      );
      try {
        poison = changes[27]!.id;
        for (const c of changes) completer.push(c, []);
        await completer.flush();
        const seen = await statesOf(real, changes);
        for (const c of changes) {
          if (c.id === poison) assert.equal(seen.get(c.id), 'failed: Its completion could not be stored: value too long for type character varying(8)');
          else assert.equal(seen.get(c.id), 'succeeded', c.id);
        }
        assert.ok(storage.calls() <= 2 * Math.ceil(Math.log2(changes.length)) + 2, `bisected in ${storage.calls()} writes`);
        assert.deepEqual(completer.pendingIds(), []);
      } finally {
        await destroy();
      }
    });

    it('retries a batch that fails for a transient reason (connection reset, SQLITE_BUSY, Postgres 57P01) and fails no job', async () => {
      const transient = [
        Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
        Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
        new Error('Connection is closed.'),
      ];
      let calls = 0;
      const { real, completer, changes, logger, destroy } = await setup(() => transient[calls++]);
      try {
        for (const c of changes) completer.push(c, []);
        // Ids stay pending (their leases renewed by the heartbeat) while the storage is away.
        assert.equal(completer.pendingIds().length, changes.length);
        await completer.flush();
        assert.equal(calls, transient.length + 1, 'one write per try: no bisection on a transient error');
        assert.deepEqual([...new Set((await statesOf(real, changes)).values())], ['succeeded']);
        assert.ok(logger.lines.some((l) => /works again after 4 failure/.test(l)));
      } finally {
        await destroy();
      }
    });

    it('fails no job while the storage refuses every write, whatever the error; writes all once it recovers', async () => {
      let down = true;
      let afterFirstRound = 0;
      const { real, storage, completer, changes, destroy } = await setup(
        () => (down ? Object.assign(new Error('permission denied for table jobs'), { code: '42501' }) : undefined),
        40,
        // The end of a round is logged: the storage is back from then on.
        (line) => {
          if (down && /retrying in/.test(line)) {
            afterFirstRound = storage.calls();
            down = false;
          }
        },
      );
      try {
        for (const c of changes) completer.push(c, []);
        // The first round: the whole batch, its first halves down to one change, that change's
        // failed state, then the other halves whole: about 2·log2(n) writes, not one per change.
        await completer.flush();
        assert.ok(afterFirstRound > 0 && afterFirstRound <= 2 * Math.ceil(Math.log2(changes.length)) + 2, `${afterFirstRound} writes in the outage`);
        assert.deepEqual([...new Set((await statesOf(real, changes)).values())], ['succeeded']);
      } finally {
        await destroy();
      }
    });

    it('gives up a job whose completion and failed state both fail while other writes succeed: its lease is no longer renewed', async () => {
      let poison = '';
      const { real, completer, changes, logger, destroy } = await setup((cs) =>
        cs.some((c) => c.id === poison) ? Object.assign(new Error('row is corrupt'), { code: 'XX001' }) : undefined,
      );
      try {
        poison = changes[3]!.id;
        for (const c of changes) completer.push(c, []);
        await completer.flush();
        const seen = await statesOf(real, changes);
        assert.equal(seen.get(poison), 'processing', 'nothing was written for it: lease expiry recovers it');
        assert.equal([...seen.values()].filter((s) => s === 'succeeded').length, changes.length - 1);
        assert.deepEqual(completer.pendingIds(), [], 'no longer renewed');
        assert.ok(logger.lines.some((l) => l.includes(`job ${poison}: gave up`)));
      } finally {
        await destroy();
      }
    });

    it('a lone change the storage refuses is failed once its failed state is written (proof the storage is up)', async () => {
      const { real, completer, changes, destroy } = await setup((cs) =>
        cs.some((c) => c.to.name === 'succeeded') ? new Error('result is not valid JSON') : undefined,
      1);
      try {
        const [only] = changes;
        await completer.complete(only!, []);
        assert.equal((await statesOf(real, changes)).get(only!.id), 'failed: Its completion could not be stored: result is not valid JSON');
      } finally {
        await destroy();
      }
    });
  });
}

for (const target of storageTargets('memory', 'sqlite')) completerSuite(target);

const pgUrl = serviceUrl('KILN_TEST_PG_URL');
if (pgUrl) {
  describe('completer over postgres: a real refusal', () => {
    // U+0000, refused by Postgres until the backend wrote it as an escape (#11), was the refusal
    // here; a check constraint of the test's own is one that stays.
    it('a change Postgres refuses (a check constraint) is isolated, and the completions written with it are not blocked', async () => {
      const store = await openPostgresStore(pgUrl);
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      const logger = recordingLogger();
      const states = new StateMachine(store.storage, systemClock, logger);
      const completer = new Completer(states, logger);
      try {
        await admin.query(`ALTER TABLE "${store.schema}".jobs ADD CONSTRAINT no_poison CHECK (state_reason IS DISTINCT FROM 'poison')`);
        const changes = await claimed(store.storage, 30, states);
        const poison = changes[11]!;
        changes[11] = states.change(poison.id, { state: { name: 'failed', reason: 'poison', at: Date.now(), data: { error: 'a\u0000b' } } }, { states: ['processing'], serverId: SERVER });
        for (const c of changes) completer.push(c, []);
        await completer.flush();
        const seen = await statesOf(store.storage, changes);
        assert.match(seen.get(poison.id)!, /^failed: Its completion could not be stored: new row for relation "jobs" violates check constraint "no_poison"/);
        assert.equal([...seen.values()].filter((s) => s === 'succeeded').length, 29);
      } finally {
        await admin.end();
        await store.destroy();
      }
    });
  });
}
