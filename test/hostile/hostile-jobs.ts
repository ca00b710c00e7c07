/**
 * The hostile-jobs body, one for every backend: each kind of hostile job (strange thrown values,
 * results JSON cannot hold, retry delays no storage can take, too many interruptions, bad
 * progress, a filter that breaks the end state) runs beside 300 normal jobs on one server. Every
 * normal job must succeed, each hostile one end `failed` with a readable reason (or, for the
 * ones meant to recover, succeed), and the server must keep fetching afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundJobServer, JobClient, defineJob, type JobContext, type JobDetails, type JobFilter, type Json } from '../../src/index.js';
import type { StorageTarget } from '../fixtures/storage-targets.js';
import { recordingLogger } from '../support/recording-logger.js';
import { waitFor } from '../support/wait.js';

const normal = defineJob({ name: 'hostile-normal', run: (n: number) => n * 2 });

/** A thrown value, a returned value or a policy for each kind; `expect` is what its job ends as. */
interface Kind {
  name: string;
  run: (ctx: JobContext) => unknown;
  retry?: Parameters<typeof defineJob>[0]['retry'];
  filters?: JobFilter[];
  parameters?: Record<string, Json>;
  expect: { state: 'failed'; reason: RegExp | ((backend: Backend) => RegExp) } | { state: 'succeeded'; check?: (job: JobDetails, backend: Backend) => void };
}

type Backend = StorageTarget['name'];

/**
 * How each backend gives back text holding U+0000 or half a surrogate pair: as it was, except
 * Postgres, which stores the visible escape `\u0000` (it refuses the character), and SQLite, which
 * gives back the three bytes better-sqlite3 encodes a lone surrogate to as U+FFFD each.
 */
function stored(text: string, backend: Backend): string {
  if (backend === 'postgres') return text.replace(/\u0000|\ud800/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (backend === 'sqlite') return text.replaceAll('\ud800', '\ufffd\ufffd\ufffd');
  return text;
}
const exactly = (text: string) => new RegExp(`^${text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`);

const fail = (value: unknown) => () => {
  throw value;
};
const throwing = (message: string) => {
  throw new Error(message);
};

const KINDS: Kind[] = [
  { name: 'null-prototype', run: fail(Object.create(null)), expect: { state: 'failed', reason: /^Threw a non-Error object: \{\}$/ } },
  {
    name: 'hostile-object',
    run: fail({
      toString: () => throwing('toString'),
      get message(): string {
        return throwing('message');
      },
    }),
    expect: { state: 'failed', reason: /^Threw a non-Error object: / },
  },
  { name: 'undefined', run: fail(undefined), expect: { state: 'failed', reason: /^Threw undefined \(not an Error\)$/ } },
  { name: 'null', run: fail(null), expect: { state: 'failed', reason: /^Threw null \(not an Error\)$/ } },
  { name: 'string', run: fail('plain words'), expect: { state: 'failed', reason: /^Threw a non-Error string: plain words$/ } },
  {
    name: 'non-string-name',
    run: fail(Object.assign(new Error('named'), { name: { not: 'a string' } })),
    expect: { state: 'failed', reason: /^Error: named$/ },
  },
  {
    name: 'message-getter-throws',
    run: fail(Object.defineProperty(new Error(), 'message', { get: () => throwing('no message') })),
    expect: { state: 'failed', reason: /^Error: \(a message that could not be read\)$/ },
  },
  // Binary data in an error message: its own reason on every backend (on Postgres, the escape).
  { name: 'nul-in-message', run: fail(new Error('a\u0000b')), expect: { state: 'failed', reason: (b) => exactly(stored('Error: a\u0000b', b)) } },
  { name: 'half-pair-in-message', run: fail(new Error('half \ud800 pair')), expect: { state: 'failed', reason: (b) => exactly(stored('Error: half \ud800 pair', b)) } },
  {
    name: 'nul-in-progress-and-result',
    run: (ctx) => {
      ctx.progress({ note: 'a\u0000b' });
      return 'c\u0000d';
    },
    expect: {
      state: 'succeeded',
      check: (job, b) => {
        assert.equal(job.result, JSON.stringify('c\u0000d'), 'a result comes back exactly');
        assert.deepEqual(job.parameters['progress'], { note: stored('a\u0000b', b) });
      },
    },
  },
  { name: 'bigint-result', run: () => 10n, expect: { state: 'failed', reason: /^The job's result cannot be stored: result: a BigInt is not JSON/ } },
  {
    name: 'cyclic-result',
    run: () => {
      const o: Record<string, unknown> = { a: 1 };
      o['self'] = { back: o };
      return o;
    },
    expect: { state: 'failed', reason: /result\.self\.back: contains a cycle/ },
  },
  { name: 'function-result', run: () => ({ ok: true, f() {} }), expect: { state: 'failed', reason: /result\.f: a function is not JSON/ } },
  { name: 'symbol-result', run: () => [Symbol('s')], expect: { state: 'failed', reason: /result\[0\]: a symbol is not JSON/ } },
  { name: 'map-result', run: () => new Map([[1, 2]]), expect: { state: 'failed', reason: /result: a Map is not JSON/ } },
  ...(
    [
      ['nan-delay', () => NaN, /delay for retry 1 is NaN/],
      ['negative-delay', () => -5, /delay for retry 1 is -5/],
      ['infinite-delay', () => Infinity, /delay for retry 1 is Infinity/],
      ['string-delay', () => '10s' as unknown as number, /delay for retry 1 is "10s"/],
      ['throwing-delays', () => throwing('no delay today'), /delays function threw for retry 1: no delay today/],
      ['past-the-end-delay', () => 8.64e15, /past the latest time a Date can hold/],
    ] as const
  ).map(([name, delays, reason]): Kind => ({
    name,
    retry: { attempts: 3, delays },
    run: fail(new Error('boom')),
    expect: { state: 'failed', reason: new RegExp(`^Error: boom \\(not retried: .*${reason.source}`) },
  })),
  {
    // Jitter is normal: a fractional delay is rounded, the retry made, the job succeeds.
    name: 'fractional-delay',
    retry: { attempts: 1, delays: () => 1.5 + Math.random() },
    run: (ctx) => (ctx.attempt === 1 ? throwing('first try') : 'second try'),
    expect: { state: 'succeeded', check: (job) => assert.equal(job.attempt, 2) },
  },
  {
    name: 'interrupted',
    retry: { attempts: 0 },
    parameters: { interruptions: 4 },
    run: () => 'must not run',
    expect: { state: 'failed', reason: /^Its runs kept ending without a result \(server crashed or lost its lease 4 times\)$/ },
  },
  {
    // Retries follow the policy: the retry starts with no interruptions counted, runs and succeeds.
    name: 'interrupted-then-retried',
    retry: { attempts: 1, delays: [1] },
    parameters: { interruptions: 9 },
    run: () => 'ran on the retry',
    expect: {
      state: 'succeeded',
      check: (job) => {
        assert.equal(job.attempt, 2);
        assert.equal(job.parameters['interruptions'], 0);
        assert.match(job.history.find((h) => h.name === 'failed')?.reason ?? '', /lost its lease 9 times/);
      },
    },
  },
  {
    name: 'bad-progress',
    run: (ctx) => ctx.progress(10n as unknown as Json),
    expect: { state: 'failed', reason: /^ValidationError: progress: a BigInt is not JSON/ },
  },
  {
    // A filter of the job's own puts a NaN time in its end state: caught before it is batched.
    name: 'filter-nan-run-at',
    filters: [{ name: 'nan', onStateElection: (ctx) => void (ctx.candidate = { ...ctx.candidate, runAt: NaN }) }],
    run: () => 'fine',
    expect: { state: 'failed', reason: /^Its completion could not be stored: runAt is NaN, not a time$/ },
  },
];

const definitions = KINDS.map((kind) =>
  defineJob({
    name: `hostile-${kind.name}`,
    retry: kind.retry ?? { attempts: 0 },
    filters: kind.filters,
    run: (_: null, ctx) => kind.run(ctx),
  }),
);

export function hostileJobSuite(target: StorageTarget): void {
  describe(`hostile jobs beside 300 normal ones: ${target.name}`, () => {
    it('every normal job succeeds, each hostile job ends failed with a readable reason, and the server keeps fetching', async () => {
      const { storage, destroy } = await target.open();
      const client = new JobClient({ storage, logger: recordingLogger() });
      const logger = recordingLogger();
      const server = new BackgroundJobServer({
        storage,
        jobs: [normal, ...definitions],
        workerCount: 10,
        pollInterval: 50,
        schedulePollingInterval: 20,
        heartbeatInterval: 500,
        logger,
      });
      try {
        await server.start();
        const first = await client.enqueueMany(normal, Array.from({ length: 150 }, (_, i) => i));
        const hostile = await Promise.all(KINDS.map((kind, i) => client.enqueue(definitions[i]!, null, kind.parameters ? { parameters: kind.parameters } : {})));
        const second = await client.enqueueMany(normal, Array.from({ length: 150 }, (_, i) => 150 + i));
        const normalIds = [...first, ...second];
        const ended = (job: JobDetails | null) => job !== null && (job.state === 'succeeded' || job.state === 'failed');

        const results = await waitFor(
          'every job ended',
          async () => {
            const stats = await storage.statistics();
            if (stats.states.succeeded + stats.states.failed < normalIds.length + hostile.length) return undefined;
            const jobs = await Promise.all(hostile.map((id) => storage.getJob(id)));
            return jobs.every(ended) ? jobs : undefined;
          },
          60_000,
        );
        for (const [i, kind] of KINDS.entries()) {
          const job = results[i]!;
          assert.equal(job.state, kind.expect.state, `${kind.name}: ${job.stateReason}`);
          if (kind.expect.state === 'failed') {
            const reason = typeof kind.expect.reason === 'function' ? kind.expect.reason(target.name) : kind.expect.reason;
            assert.match(job.stateReason ?? '', reason, kind.name);
            assert.ok((job.stateReason ?? '').length < 2000, `${kind.name}: a short reason`);
          } else kind.expect.check?.(job, target.name);
        }
        const normals = await Promise.all(normalIds.map((id) => storage.getJob(id)));
        assert.deepEqual(
          normals.filter((j) => j?.state !== 'succeeded').map((j) => `${j?.id}: ${j?.state} ${j?.stateReason}`),
          [],
          'every normal job succeeded',
        );
        assert.deepEqual(normals.map((j) => j!.result), normalIds.map((_, i) => String(i * 2)));

        // The server still fetches and completes.
        const later = await client.enqueueMany(normal, [1, 2, 3, 4, 5]);
        await waitFor('later jobs succeeded', async () => (await Promise.all(later.map((id) => storage.getJob(id)))).every((j) => j?.state === 'succeeded'), 30_000);
      } finally {
        await server.dispose();
        await destroy();
      }
    });
  });
}
