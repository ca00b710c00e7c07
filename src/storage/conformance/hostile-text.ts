import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecurringJobRecord } from '../contract/index.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

/** Text holding U+0000, which Postgres refuses in `text` and (escaped) in `jsonb`. */
const NUL = 'nul \u0000 here';
/** Text holding half a surrogate pair, which UTF-8 cannot encode. */
const HALF = 'half \ud800 pair';
/** A whole pair: kept by every backend. */
const PAIR = 'pair \ud83d\ude00 kept';

/**
 * How a backend may give back each hostile text: as given; as its visible escape (Postgres, see
 * `postgres/storable-text.ts`); a lone surrogate as the U+FFFD that UTF-8 encoders write for it
 * (Node's, where a backend sends text as UTF-8: Redis's recurring fields), or as a U+FFFD for each
 * of the three bytes better-sqlite3 encodes it to (SQLite).
 */
const READABLE: Record<string, string[]> = {
  [NUL]: [NUL, 'nul \\u0000 here'],
  [HALF]: [HALF, 'half \\ud800 pair', 'half \ufffd pair', 'half \ufffd\ufffd\ufffd pair'],
  [PAIR]: [PAIR],
};

function readable(value: unknown, given: string, what: string): void {
  assert.ok(READABLE[given]!.includes(value as string), `${what}: ${JSON.stringify(value)} is not ${JSON.stringify(given)} or its escape`);
}

/**
 * Hostile text (U+0000, a lone surrogate) in every text a backend stores — arguments, names,
 * reasons, state data, parameters, results, unique keys, server ids and names, recurring fields,
 * lock names — is stored without an error and read back as given or as its visible escape
 * (issue #11: a job whose error message holds binary data must not fail the batch it is written
 * in). Arguments and results, JSON texts the engine made, come back exactly.
 */
export function hostileTextCases(target: ConformanceTarget): void {
  describe(`${target.name}: hostile text`, () => {
    it('jobs: names, arguments, reasons, data, parameters, unique keys and server ids hold U+0000 and lone surrogates', () =>
      withStore(target, async ({ storage }) => {
        const args = JSON.stringify({ s: NUL + HALF + PAIR });
        const plain = newJob({
          name: `job ${NUL}`,
          args,
          state: { name: 'enqueued', reason: NUL, data: { note: HALF, pair: PAIR }, at: T0 },
          parameters: { note: NUL, other: HALF },
        });
        const keyed = newJob({ args, uniqueKey: `key ${NUL}`, state: { name: 'enqueued', reason: HALF, at: T0 }, parameters: { note: NUL } });
        const created = await storage.createJobs([plain, keyed], { now: T0 });
        assert.deepEqual(created.map((c) => c.created), [true, true]);
        const again = await storage.createJobs([newJob({ uniqueKey: `key ${NUL}` })], { now: T0 });
        assert.deepEqual(again, [{ id: keyed.id, created: false }], 'the unique key still holds');

        const p = (await storage.getJob(plain.id))!;
        assert.equal(p.args, args, 'arguments come back exactly');
        readable(p.name.slice('job '.length), NUL, 'name');
        readable(p.stateReason, NUL, 'reason');
        readable(p.stateData?.['note'], HALF, 'state data');
        readable(p.stateData?.['pair'], PAIR, 'state data');
        readable(p.parameters['note'], NUL, 'parameter');
        readable(p.parameters['other'], HALF, 'parameter');
        readable(p.history[0]?.reason, NUL, 'history');
        const k = (await storage.getJob(keyed.id))!;
        assert.equal(k.args, args);
        readable(k.stateReason, HALF, 'reason (keyed)');
        readable(k.parameters['note'], NUL, 'parameter (keyed)');
        readable(k.uniqueKey?.slice('key '.length), NUL, 'unique key');

        const server = `server ${NUL}`;
        const claimed = await storage.fetch({ queues: ['default'], max: 2, serverId: server, leaseMs: 1000, now: T0 });
        assert.equal(claimed.length, 2);
        assert.deepEqual(await storage.renewLeases(server, [plain.id, keyed.id], 1000, T0 + 10), []);
        assert.equal(await storage.mergeParameters(plain.id, server, { progress: { note: NUL } }, T0 + 10), true);
        const applied = await storage.transition(
          [
            {
              id: plain.id,
              expectStates: ['processing'],
              expectServerId: server,
              passedThrough: [{ name: 'failed', reason: NUL, data: { error: NUL }, at: T0 + 20 }],
              to: { name: 'scheduled', reason: HALF, data: { error: HALF }, at: T0 + 20 },
              runAt: T0 + 1000,
              parameters: { last: NUL },
            },
            { id: keyed.id, expectStates: ['processing'], expectServerId: server, to: { name: 'succeeded', reason: NUL, at: T0 + 20 }, result: JSON.stringify(NUL + HALF) },
          ],
          T0 + 20,
        );
        assert.deepEqual(applied, [true, true], 'the server id matched as stored');
        const p2 = (await storage.getJob(plain.id))!;
        readable(p2.stateReason, HALF, 'reason after a transition');
        readable(p2.stateData?.['error'], HALF, 'state data after a transition');
        readable(p2.parameters['last'], NUL, 'parameter after a transition');
        readable((p2.parameters['progress'] as { note: string }).note, NUL, 'merged parameter');
        const failed = p2.history.find((h) => h.name === 'failed');
        readable(failed?.reason, NUL, 'history entry passed through');
        readable(failed?.data?.['error'], NUL, 'history entry data');
        const k2 = (await storage.getJob(keyed.id))!;
        assert.equal(k2.result, JSON.stringify(NUL + HALF), 'results come back exactly');

        assert.equal(await storage.getJob(`missing ${NUL}`), null);
        const found = await storage.listJobs({ state: 'scheduled', search: NUL, offset: 0, limit: 10 });
        assert.ok(found.total <= 1);
      }));

    it('servers, recurring jobs and locks hold U+0000 and lone surrogates', () =>
      withStore(target, async ({ storage }) => {
        await storage.announceServer({ id: `id ${NUL}`, name: HALF, workerCount: 1, queues: ['default'], startedAt: T0, heartbeatAt: T0 });
        assert.equal(await storage.heartbeat(`id ${NUL}`, T0 + 1), true);
        const [server] = await storage.listServers();
        readable(server?.name, HALF, 'server name');

        const recurring: RecurringJobRecord = {
          id: `every ${NUL}`,
          name: NUL,
          queue: 'default',
          args: JSON.stringify(NUL),
          cron: '* * * * *',
          timeZone: 'UTC',
          misfire: 'relaxed',
          nextExecution: T0,
          lastExecution: null,
          lastJobId: null,
          paused: false,
          createdAt: T0,
          error: HALF,
        };
        await storage.upsertRecurring(recurring);
        const r = (await storage.getRecurring(`every ${NUL}`))!;
        assert.ok(r, 'found by the id it was stored with');
        readable(r.name, NUL, 'recurring name');
        readable(r.error, HALF, 'recurring error');
        assert.equal(r.args, JSON.stringify(NUL), 'recurring arguments come back exactly');
        assert.equal((await storage.listRecurring()).length, 1);

        assert.equal(await storage.acquireLock(`lock ${NUL}`, HALF, 1000, T0), true);
        assert.equal(await storage.acquireLock(`lock ${NUL}`, 'other', 1000, T0 + 1), false);
      }));
  });
}
