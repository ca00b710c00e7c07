import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/index.js';
import { resultText, toJsonText } from '../../src/jobs/args.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('results: read as JSON.stringify reads them, refusing what it would lose', () => {
  it('keeps what JSON holds: undefined is no result, a Date its ISO string, a class instance its fields', () => {
    assert.deepEqual(resultText(undefined), { text: 'null' });
    assert.deepEqual(resultText(null), { text: 'null' });
    assert.deepEqual(resultText({ at: new Date(0), p: new Point(1, 2), skipped: undefined, list: [1, undefined] }), {
      text: '{"at":"1970-01-01T00:00:00.000Z","p":{"x":1,"y":2},"list":[1,null]}',
    });
    const shared = { n: 1 };
    assert.deepEqual(resultText([shared, shared]), { text: '[{"n":1},{"n":1}]' }, 'a shared object is no cycle');
  });

  it('refuses BigInt, functions, symbols, NaN, cycles, Map/Set/typed arrays, deep nesting, a throwing toJSON; names the path', () => {
    const cycle: Record<string, unknown> = {};
    cycle['me'] = [cycle];
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const cases: Array<[unknown, RegExp]> = [
      [10n, /^result: a BigInt/],
      [{ f: () => 1 }, /^result\.f: a function/],
      [[1, Symbol('s')], /^result\[1\]: a symbol/],
      [{ n: NaN }, /^result\.n: NaN is not JSON/],
      [cycle, /^result\.me\[0\]: contains a cycle/],
      [{ m: new Map() }, /^result\.m: a Map is not JSON/],
      [new Set([1]), /^result: a Set/],
      [new Uint8Array(2), /^result: a Uint8Array/],
      [deep, /nested more than 500 levels/],
      [{ toJSON: () => { throw new Error('no JSON today'); } }, /no JSON today/],
    ];
    for (const [value, problem] of cases) {
      const r = resultText(value);
      assert.equal(r.text, undefined);
      assert.match(r.problem ?? '', problem);
    }
  });
});

describe('arguments: strict JSON without recursion', () => {
  it('refuses a getter that throws, as a ValidationError naming the field', () => {
    const hostile = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('getter'); } });
    assert.throws(() => toJsonText(hostile, 'args'), (e: unknown) => e instanceof ValidationError && e.field === 'args' && /getter/.test(e.message));
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    assert.throws(() => toJsonText(deep, 'args'), /nested more than 500 levels/);
  });
});
