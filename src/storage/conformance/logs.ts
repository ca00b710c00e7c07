import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobLogLine } from '../contract/index.js';
import { T0, newJob, withStore, type ConformanceTarget } from './harness.js';

const line = (message: string, at = T0, extra: Partial<JobLogLine> = {}): JobLogLine => ({ level: 'info', message, at, ...extra });
const lines = (n: number, from = 1) => Array.from({ length: n }, (_, i) => line(`line ${from + i}`, T0 + from + i));

/** Job logs: appended in batches, numbered, paged, bounded with their oldest dropped, deleted with the job. */
export function logCases(target: ConformanceTarget): void {
  describe(`${target.name}: job logs`, () => {
    it('stores lines of several jobs in one call, numbered per job, and pages them', () =>
      withStore(target, async ({ storage, connect }) => {
        const [a, b] = [newJob(), newJob()];
        await storage.createJobs([a, b], { now: T0 });
        const other = await connect();
        await other.appendJobLogs(
          [
            {
              jobId: a.id,
              lines: [
                line('starting', T0 + 1, { level: 'debug' }),
                line('fetched', T0 + 2, { fields: { rows: 3, who: { name: 'ada' }, none: null } }),
              ],
            },
            { jobId: b.id, lines: [line('only line of b', T0 + 3, { level: 'error' })] },
            { jobId: '00000000-0000-0000-0000-00000000dead', lines: [line('nobody')] },
          ],
          1000,
        );
        await storage.appendJobLogs([{ jobId: a.id, lines: [line('third', T0 + 4, { level: 'warn' }), line('fourth', T0 + 5)] }], 1000);
        const all = await storage.jobLogs(a.id, {});
        assert.deepEqual(all, {
          lines: [
            { seq: 1, level: 'debug', message: 'starting', at: T0 + 1 },
            { seq: 2, level: 'info', message: 'fetched', fields: { rows: 3, who: { name: 'ada' }, none: null }, at: T0 + 2 },
            { seq: 3, level: 'warn', message: 'third', at: T0 + 4 },
            { seq: 4, level: 'info', message: 'fourth', at: T0 + 5 },
          ],
          dropped: 0,
          lastSeq: 4,
        });
        const page = await other.jobLogs(a.id, { after: 1, limit: 2 });
        assert.deepEqual(
          page.lines.map((l) => l.message),
          ['fetched', 'third'],
        );
        assert.equal(page.lastSeq, 4);
        assert.deepEqual(await storage.jobLogs(a.id, { after: 4 }), { lines: [], dropped: 0, lastSeq: 4 });
        assert.deepEqual(
          (await storage.jobLogs(b.id, {})).lines.map((l) => [l.seq, l.level, l.message]),
          [[1, 'error', 'only line of b']],
        );
        assert.deepEqual(await storage.jobLogs('00000000-0000-0000-0000-00000000dead', {}), { lines: [], dropped: 0, lastSeq: 0 });
      }));

    it('keeps the newest maxLines of a job, counting the dropped ones, skipped ones included', () =>
      withStore(target, async ({ storage }) => {
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        await storage.appendJobLogs([{ jobId: j.id, lines: lines(4) }], 5);
        await storage.appendJobLogs([{ jobId: j.id, lines: lines(3, 5) }], 5);
        const page = await storage.jobLogs(j.id, {});
        assert.equal(page.dropped, 2);
        assert.equal(page.lastSeq, 7);
        assert.deepEqual(
          page.lines.map((l) => [l.seq, l.message]),
          [
            [3, 'line 3'],
            [4, 'line 4'],
            [5, 'line 5'],
            [6, 'line 6'],
            [7, 'line 7'],
          ],
        );
        // A live view that had seen line 1 learns that lines were dropped since.
        const live = await storage.jobLogs(j.id, { after: 1, limit: 2 });
        assert.deepEqual([live.dropped, live.lines.map((l) => l.seq)], [2, [3, 4]]);
        // The writer skipped 10 lines of a job that logged too fast: they count as dropped, and so
        // do the older stored ones.
        await storage.appendJobLogs([{ jobId: j.id, lines: lines(2, 18), skipped: 10 }], 5);
        const after = await storage.jobLogs(j.id, {});
        assert.deepEqual([after.dropped, after.lastSeq], [17, 19]);
        assert.deepEqual(
          after.lines.map((l) => [l.seq, l.message]),
          [
            [18, 'line 18'],
            [19, 'line 19'],
          ],
        );
      }));

    it('concurrent appends from several connections number every line once', () =>
      withStore(target, async ({ storage, connect }) => {
        const j = newJob();
        await storage.createJobs([j], { now: T0 });
        const conns = [storage, await connect(), await connect()];
        await Promise.all(Array.from({ length: 12 }, (_, i) => conns[i % 3]!.appendJobLogs([{ jobId: j.id, lines: lines(5, i * 5 + 1) }], 1000)));
        const page = await storage.jobLogs(j.id, {});
        assert.equal(page.lastSeq, 60);
        assert.deepEqual(
          page.lines.map((l) => l.seq),
          Array.from({ length: 60 }, (_, i) => i + 1),
        );
        assert.equal(new Set(page.lines.map((l) => l.message)).size, 60);
      }));

    it('deletes a job log when the job expires', () =>
      withStore(target, async ({ storage }) => {
        const [gone, kept] = [newJob(), newJob()];
        await storage.createJobs([gone, kept], { now: T0 });
        await storage.appendJobLogs(
          [
            { jobId: gone.id, lines: lines(3) },
            { jobId: kept.id, lines: lines(2) },
          ],
          1000,
        );
        await storage.transition([{ id: gone.id, expectStates: ['enqueued'], to: { name: 'deleted', at: T0 }, expireAt: T0 + 10 }], T0);
        assert.equal(await storage.deleteExpired(T0 + 10, 10), 1);
        assert.deepEqual(await storage.jobLogs(gone.id, {}), { lines: [], dropped: 0, lastSeq: 0 });
        assert.equal((await storage.jobLogs(kept.id, {})).lastSeq, 2);
      }));
  });
}
