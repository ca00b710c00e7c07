import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { BackgroundJobServer, JobClient, MemoryStorage, SqliteStorage, ValidationError, defineJob, silentLogger, type Storage } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

const report = defineJob({ name: 'recurring-report', schema: z.object({ to: z.string() }), run: () => 'ok' });
const tick = defineJob({ name: 'recurring-tick', run: () => {} });

function fakeClock(start: number) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

async function jobsOf(storage: Storage, recurringJobId: string) {
  const all = [];
  for (const state of ['enqueued', 'processing', 'succeeded', 'failed'] as const) {
    all.push(...(await storage.listJobs({ state, offset: 0, limit: 10_000 })).jobs);
  }
  return all.filter((j) => j.parameters['recurringJobId'] === recurringJobId);
}

describe('recurring jobs', () => {
  it('add, list with next run, update, pause, resume, trigger, remove', async () => {
    const storage = new MemoryStorage();
    const clock = fakeClock(Date.parse('2026-01-01T10:00:00Z'));
    const client = new JobClient({ storage, logger: silentLogger, clock });
    await client.recurring.addOrUpdate('nightly', report, { to: 'ops' }, { cron: '0 3 * * *', timeZone: 'Europe/Paris' });
    let [r] = await client.recurring.list();
    assert.equal(r?.id, 'nightly');
    assert.equal(r?.name, 'recurring-report');
    assert.equal(new Date(r!.nextExecution!).toISOString(), '2026-01-02T02:00:00.000Z');
    assert.equal(r?.misfire, 'relaxed');
    assert.equal(r?.lastJobState, null);

    await client.recurring.addOrUpdate('nightly', report, { to: 'ops' }, { cron: '0 4 * * *', timeZone: 'Europe/Paris', misfire: 'strict' });
    [r] = await client.recurring.list();
    assert.equal(new Date(r!.nextExecution!).toISOString(), '2026-01-02T03:00:00.000Z');
    assert.equal(r?.misfire, 'strict');

    assert.equal(await client.recurring.pause('nightly'), true);
    assert.equal((await client.recurring.get('nightly'))?.paused, true);
    clock.t = Date.parse('2026-01-05T12:00:00Z');
    assert.equal(await client.recurring.resume('nightly'), true);
    r = (await client.recurring.get('nightly'))!;
    assert.equal(r.paused, false);
    assert.equal(new Date(r.nextExecution!).toISOString(), '2026-01-06T03:00:00.000Z', 'missed runs while paused are not made up');

    const id = await client.recurring.trigger('nightly');
    const job = await client.get(id);
    assert.equal(job?.state, 'enqueued');
    assert.equal(job?.parameters['recurringJobId'], 'nightly');
    assert.equal(job?.args, '{"to":"ops"}');
    assert.equal((await client.recurring.get('nightly'))?.lastJobState, 'enqueued');
    assert.equal((await client.recurring.get('nightly'))?.nextExecution, r.nextExecution, 'trigger leaves the schedule alone');

    assert.equal(await client.recurring.remove('nightly'), true);
    assert.deepEqual(await client.recurring.list(), []);
    assert.equal(await client.recurring.pause('nightly'), false);
  });

  it('bad input: invalid cron, unknown time zone, unknown misfire, bad args, bad id — nothing written', async () => {
    const storage = new MemoryStorage();
    const client = new JobClient({ storage, logger: silentLogger });
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => client.recurring.addOrUpdate('a', tick, undefined, { cron: '99 * * * *' }), 'options.cron', /not a valid cron/],
      [() => client.recurring.addOrUpdate('a', tick, undefined, { cron: 'every day' }), 'options.cron', /not a valid cron/],
      [() => client.recurring.addOrUpdate('a', tick, undefined, { cron: '* * * * *', timeZone: 'Europe/Atlantis' }), 'options.timeZone', /not a known IANA/],
      [() => client.recurring.addOrUpdate('a', tick, undefined, { cron: '* * * * *', misfire: 'sometimes' as 'strict' }), 'options.misfire', /relaxed, strict, ignorable/],
      [() => client.recurring.addOrUpdate('a', report, { to: 5 as unknown as string }, { cron: '* * * * *' }), 'args.to', /string/i],
      [() => client.recurring.addOrUpdate('has space', tick, undefined, { cron: '* * * * *' }), 'id', /letters/],
      [() => client.recurring.addOrUpdate('a', { name: 'ghost' } as unknown as typeof tick, undefined, { cron: '* * * * *' }), 'job', /defineJob/],
      [() => client.recurring.trigger('missing'), 'id', /no recurring job/],
    ];
    for (const [call, field, message] of cases) {
      await assert.rejects(call, (e: unknown) => e instanceof ValidationError && e.field === field && message.test(e.message));
    }
    assert.deepEqual(await storage.listRecurring(), []);
    assert.equal((await storage.statistics()).states.enqueued, 0);
  });

  for (const misfire of ['relaxed', 'strict', 'ignorable'] as const) {
    it(`a server enqueues missed occurrences by the ${misfire} policy (fake clock)`, async () => {
      const storage = new MemoryStorage();
      const T = Date.parse('2026-01-01T00:00:00Z');
      const clock = fakeClock(T);
      const client = new JobClient({ storage, logger: silentLogger, clock });
      await client.recurring.addOrUpdate(`every-minute-${misfire}`, tick, undefined, { cron: '* * * * *', misfire });
      clock.t = T + 5 * 60_000 + 30_000; // 00:05:30 — 00:01..00:05 were missed
      const server = new BackgroundJobServer({ storage, clock, jobs: [tick], queues: ['nothing-here'], logger: silentLogger, schedulePollingInterval: 20 });
      await server.start();
      await waitFor('the scheduler pass', async () => (await storage.getRecurring(`every-minute-${misfire}`))?.nextExecution === T + 6 * 60_000);
      await server.dispose();
      const jobs = await jobsOf(storage, `every-minute-${misfire}`);
      const times = jobs.map((j) => new Date(j.parameters['scheduledAt'] as number).toISOString().slice(11, 16)).sort();
      const expected = { relaxed: ['00:05'], strict: ['00:01', '00:02', '00:03', '00:04', '00:05'], ignorable: [] }[misfire];
      assert.deepEqual(times, expected);
    });
  }

  it('two servers on one SQLite file enqueue each occurrence once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-recurring-'));
    const file = join(dir, 'kiln.db');
    const storages = [new SqliteStorage(file), new SqliteStorage(file)];
    try {
      const client = new JobClient({ storage: storages[0], logger: silentLogger });
      await client.recurring.addOrUpdate('every-second', tick, undefined, { cron: '* * * * * *' });
      const start = Date.now();
      const servers = storages.map(
        (storage) => new BackgroundJobServer({ storage, jobs: [tick], logger: silentLogger, schedulePollingInterval: 10, pollInterval: 20 }),
      );
      await Promise.all(servers.map((s) => s.start()));
      await waitFor('four occurrences', async () => ((await storages[0]!.getRecurring('every-second'))?.lastExecution ?? 0) >= start + 4_000, 15_000);
      await Promise.all(servers.map((s) => s.dispose()));
      const jobs = await jobsOf(storages[0]!, 'every-second');
      const times = jobs.map((j) => j.parameters['scheduledAt'] as number);
      assert.ok(times.length >= 4, `got ${times.length} occurrences`);
      assert.equal(new Set(times).size, times.length, 'no occurrence enqueued twice');
      for (const t of times) assert.equal(t % 1000, 0, 'occurrences are whole seconds');
    } finally {
      await Promise.all(storages.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
