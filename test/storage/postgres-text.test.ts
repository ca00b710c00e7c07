/**
 * What Postgres refuses, made storable (src/storage/postgres/storable-text.ts), checked against a
 * real Postgres: every result is accepted by `text` / `jsonb`, reads back as the visible escape
 * where the original was refused, and everything else (pairs, escaped backslashes, other escapes)
 * is untouched. The conformance suite's hostile-text cases run the same through every statement.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pgJson, pgText } from '../../src/storage/postgres/storable-text.js';
import { serviceUrl } from '../support/services.js';

const url = serviceUrl('KILN_TEST_PG_URL');

describe('postgres: text Postgres refuses is written as its visible escape', { skip: !url && 'KILN_TEST_PG_URL is not set' }, () => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  after(() => client?.end());

  /** What Postgres stores for a JSON string value sent through `pgJson`. */
  async function viaJsonb(value: string): Promise<string> {
    const res = await client.query<{ v: string }>('SELECT ($1::jsonb) #>> \'{}\' AS v', [pgJson(JSON.stringify(value))]);
    return res.rows[0]!.v;
  }

  it('jsonb: \\u0000 and half pairs become visible escapes; pairs, escaped backslashes and other escapes are kept', async () => {
    const cases: Array<[string, string]> = [
      ['a\u0000b', 'a\\u0000b'],
      ['half \ud800 pair', 'half \\ud800 pair'],
      ['low \udc00 half', 'low \\udc00 half'],
      ['\ud800\ud83d\ude00', '\\ud800\ud83d\ude00'],
      ['\ud83d\ude00 whole', '\ud83d\ude00 whole'],
      ['already \\u0000 text', 'already \\u0000 text'],
      ['\\\u0000', '\\\\u0000'],
      ['tab\tquote" slash\\ \u0001', 'tab\tquote" slash\\ \u0001'],
    ];
    for (const [given, stored] of cases) assert.equal(await viaJsonb(given), stored, JSON.stringify(given));
    // Escapes written out by hand, as another JSON encoder may send them.
    assert.equal(pgJson('"\\ud83d\\ude00"'), '"\\ud83d\\ude00"');
    assert.equal(pgJson('"\\u0000\\u0041"'), '"\\\\u0000\\u0041"');
    // Keys too.
    const res = await client.query<{ v: Record<string, number> }>('SELECT $1::jsonb AS v', [pgJson(JSON.stringify({ 'k\u0000': 1 }))]);
    assert.deepEqual(res.rows[0]!.v, { 'k\\u0000': 1 });
  });

  it('text: U+0000 and half pairs become visible escapes; a text without them is the same string', async () => {
    for (const [given, stored] of [
      ['a\u0000b', 'a\\u0000b'],
      ['half \ud800 pair', 'half \\ud800 pair'],
      ['\ud83d\ude00', '\ud83d\ude00'],
      ['plain', 'plain'],
    ]) {
      const res = await client.query<{ v: string }>('SELECT $1::text AS v', [pgText(given!)]);
      assert.equal(res.rows[0]!.v, stored);
    }
    const plain = 'no refused character here';
    assert.equal(pgText(plain), plain);
    const json = JSON.stringify({ a: 'b', n: [1, 2] });
    assert.equal(pgJson(json), json);
  });
});
