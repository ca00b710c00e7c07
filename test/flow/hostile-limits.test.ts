/**
 * Hostile jobs under a limit: jobs of one key that throw strange values, return what JSON cannot
 * hold, block the event loop or ignore their abort signal run beside normal jobs of the same key
 * and of other keys. Each hostile run ends and gives its slot back; the normal jobs all succeed;
 * the key never runs more than its limit at once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, defineJob, silentLogger } from '../../src/index.js';
import { storageTargets } from '../fixtures/storage-targets.js';
import { waitFor } from '../support/wait.js';

type Kind = 'normal' | 'throws-symbol' | 'throws-null' | 'returns-bigint' | 'returns-cycle' | 'blocks' | 'deaf';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

for (const target of storageTargets('memory', 'sqlite')) {
  describe(`${target.name}: hostile jobs under a concurrency limit`, () => {
    it('give their slot back when they fail, and normal jobs of the same key and of others all run', async () => {
      const { storage, destroy } = await target.open();
      cleanup.push(destroy);
      const running = new Map<string, number>();
      let peak = 0;
      const job = defineJob({
        name: `flow-hostile-${target.name}`,
        retry: { attempts: 0 },
        timeout: 200,
        concurrency: { limit: 2, key: (a: { key: string; kind: Kind }) => a.key },
        run: async ({ key, kind }: { key: string; kind: Kind }, ctx) => {
          const n = (running.get(key) ?? 0) + 1;
          running.set(key, n);
          peak = Math.max(peak, n);
          try {
            switch (kind) {
              case 'throws-symbol':
                throw Symbol('odd');
              case 'throws-null':
                throw null;
              case 'returns-bigint':
                return { big: 10n } as never;
              case 'returns-cycle': {
                const o: Record<string, unknown> = {};
                o['self'] = o;
                return o as never;
              }
              case 'blocks': {
                const until = Date.now() + 30;
                while (Date.now() < until);
                return undefined;
              }
              case 'deaf':
                // Ignores the signal its timeout aborts: it keeps its slot until it returns.
                await new Promise((r) => setTimeout(r, 400));
                return undefined;
              default:
                await new Promise((r) => setImmediate(r));
                return ctx.attempt;
            }
          } finally {
            running.set(key, running.get(key)! - 1);
          }
        },
      });
      const client = new JobClient({ storage, logger: silentLogger });
      const hostile: Kind[] = ['throws-symbol', 'throws-null', 'returns-bigint', 'returns-cycle', 'blocks', 'deaf'];
      const args = [
        ...hostile.flatMap((kind) => [{ key: 'shared', kind }, { key: 'shared', kind: 'normal' as Kind }]),
        ...Array.from({ length: 20 }, (_, i) => ({ key: `other-${i % 4}`, kind: 'normal' as Kind })),
      ];
      const ids = await client.enqueueMany(job, args);
      const server = new BackgroundJobServer({ storage, jobs: [job], workerCount: 10, pollInterval: 20, logger: silentLogger });
      cleanup.push(() => server.dispose());
      await server.start();
      await waitFor('every job settled', async () => {
        const s = await storage.statistics();
        return s.states.succeeded + s.states.failed === ids.length;
      });
      const jobs = await Promise.all(ids.map((id) => storage.getJob(id)));
      jobs.forEach((j, i) => {
        const expected = ['normal', 'blocks', 'deaf'].includes(args[i]!.kind) ? 'succeeded' : 'failed';
        assert.equal(j?.state, expected, `${args[i]!.kind} of ${args[i]!.key}: ${j?.stateReason}`);
      });
      assert.ok(peak <= 2, `${peak} runs of one key at once`);
      assert.equal((await storage.statistics()).states.processing, 0);
    });
  });
}
