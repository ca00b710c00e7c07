import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecurringJobRecord } from '../contract/index.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

function recurring(id: string, overrides: Partial<RecurringJobRecord> = {}): RecurringJobRecord {
  return {
    id,
    name: 'test-job',
    queue: 'default',
    args: '{}',
    cron: '* * * * *',
    timeZone: 'UTC',
    misfire: 'relaxed',
    nextExecution: T0 + 60_000,
    lastExecution: null,
    lastJobId: null,
    paused: false,
    createdAt: T0,
    error: null,
    ...overrides,
  };
}

/** Recurring definitions and their once-only claims. */
export function recurringCases(target: ConformanceTarget): void {
  describe(`${target.name}: recurring jobs`, () => {
    it('upserts, lists, pauses, resumes and removes definitions', () =>
      withStore(target, async ({ storage }) => {
        await storage.upsertRecurring(recurring('b'));
        await storage.upsertRecurring(recurring('a', { cron: '0 3 * * *', timeZone: 'Europe/Paris' }));
        await storage.upsertRecurring(recurring('a', { cron: '0 4 * * *', timeZone: 'Europe/Paris' }));
        const list = await storage.listRecurring();
        assert.deepEqual(
          list.map((r) => r.id),
          ['a', 'b'],
        );
        assert.equal(list[0]!.cron, '0 4 * * *');
        assert.equal(list[0]!.timeZone, 'Europe/Paris');
        assert.equal(await storage.setRecurringPaused('a', true), true);
        assert.equal((await storage.getRecurring('a'))?.paused, true);
        assert.equal(await storage.setRecurringPaused('zz', true), false);
        assert.equal((await storage.statistics()).recurring, 2);
        assert.equal(await storage.removeRecurring('b'), true);
        assert.equal(await storage.removeRecurring('b'), false);
        assert.equal(await storage.getRecurring('b'), null);
      }));

    it('lists due definitions, skipping paused ones', () =>
      withStore(target, async ({ storage }) => {
        await storage.upsertRecurring(recurring('due', { nextExecution: T0 }));
        await storage.upsertRecurring(recurring('paused', { nextExecution: T0, paused: true }));
        await storage.upsertRecurring(recurring('later', { nextExecution: T0 + 1 }));
        await storage.upsertRecurring(recurring('never', { nextExecution: null }));
        assert.deepEqual(
          (await storage.dueRecurring(T0, 10)).map((r) => r.id),
          ['due'],
        );
      }));

    it('advances with compare-and-set, so concurrent servers enqueue an occurrence once', () =>
      withStore(target, async ({ storage, connect }) => {
        await storage.upsertRecurring(recurring('r', { nextExecution: T0 }));
        const conns = [storage, await connect(), await connect()];
        const results = await Promise.all(
          conns.flatMap((c) =>
            [0, 1].map(() => {
              const job = newJob({ parameters: { recurringJobId: 'r', scheduledAt: T0 } });
              return c.advanceRecurring(
                { id: 'r', expectNext: T0, nextExecution: T0 + 60_000, lastExecution: T0, jobs: [job] },
                T0,
              );
            }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const stats = await storage.statistics();
        assert.equal(stats.states.enqueued, 1);
        const r = await storage.getRecurring('r');
        assert.equal(r?.nextExecution, T0 + 60_000);
        assert.equal(r?.lastExecution, T0);
        assert.ok(r?.lastJobId);
        assert.deepEqual((await storage.getJob(r.lastJobId))?.parameters, { recurringJobId: 'r', scheduledAt: T0 });
      }));
  });
}
