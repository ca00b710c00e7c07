import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransitionChange } from '../../src/index.js';
import { failedInstead, makeStorable, storableText } from '../../src/server/safe-change.js';
import { isTransientStorageError } from '../../src/server/transient-error.js';

const change = (over: Partial<TransitionChange>): TransitionChange => ({
  id: 'j1',
  expectStates: ['processing'],
  expectServerId: 's1',
  to: { name: 'scheduled', at: 1000 },
  ...over,
});

describe('changes are made storable before they are batched', () => {
  it('rounds fractional times, keeps an expiry past the range until the end of time', () => {
    const c = change({ to: { name: 'scheduled', at: 1000.4 }, runAt: 2000.6, expireAt: 1e300, passedThrough: [{ name: 'failed', at: 999.5 }] });
    assert.equal(makeStorable(c), undefined);
    assert.deepEqual([c.to.at, c.runAt, c.expireAt, c.passedThrough![0]!.at], [1000, 2001, 8.64e15, 1000]);
  });

  it('names what cannot be stored: NaN or out-of-range times, a bad attempt, queue, parameters or state', () => {
    const cases: Array<[Partial<TransitionChange>, RegExp]> = [
      [{ runAt: NaN }, /^runAt is NaN, not a time$/],
      [{ runAt: 8.64e15 + 10 }, /runAt .* outside the range of a Date/],
      [{ to: { name: 'scheduled', at: Infinity } }, /the state time is Infinity/],
      [{ expireAt: NaN }, /expireAt is NaN/],
      [{ attempt: 1.5 }, /attempt is 1.5/],
      [{ queue: 'Not A Queue' }, /^queue Not A Queue is not a queue name$/],
      [{ parameters: { n: 10n as unknown as number } }, /parameters\.n: a BigInt/],
      [{ to: { name: 'nowhere' as 'scheduled', at: 1 } }, /not a state/],
      [{ to: { name: 'failed', at: 1, data: { f: (() => 1) as unknown as number } } }, /function/],
    ];
    for (const [over, problem] of cases) assert.match(makeStorable(change(over)) ?? '(none)', problem);
  });

  it('the failed state that replaces an unstorable change keeps the compare-and-set and holds only storable text', () => {
    const failed = failedInstead(change({ result: '"x"', parameters: { a: 1 } }), 'invalid byte sequence: a\u0000b \ud800', 5);
    assert.deepEqual(failed.expectStates, ['processing']);
    assert.equal(failed.expectServerId, 's1');
    assert.equal(failed.to.reason, 'Its completion could not be stored: invalid byte sequence: a\\u0000b \\ud800');
    assert.equal(failed.result, undefined);
    assert.equal(failed.parameters, undefined);
    assert.equal(storableText('x'.repeat(600), 500).length, 500);
    assert.equal(storableText('tab\tand\nnewline stay', 100), 'tab\tand\nnewline stay');
  });
});

describe('transient storage errors are told from the rest', () => {
  it('by code, message, cause and aggregate', () => {
    const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    for (const e of [
      coded('ECONNREFUSED'),
      coded('08006'),
      coded('57P01'),
      coded('53300'),
      coded('40P01'),
      coded('SQLITE_BUSY_SNAPSHOT'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection is closed.'),
      new Error('LOADING Redis is loading the dataset in memory'),
      new Error('wrapped', { cause: coded('ETIMEDOUT') }),
      new AggregateError([new Error('x'), coded('ECONNRESET')]),
    ]) {
      assert.equal(isTransientStorageError(e), true, String(e));
    }
    for (const e of [
      coded('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
      coded('22P02', 'invalid input syntax for type bigint: "1.5"'),
      coded('23505'),
      new Error('ERR Error running script'),
      Object.create(null),
      undefined,
      { get code(): string { throw new Error('hostile'); } },
    ]) {
      assert.equal(isTransientStorageError(e), false, typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : typeof e);
    }
  });
});
