import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { serviceUrl } from './support/services.js';

const run = promisify(execFile);
const tsx = import.meta.resolve('tsx');
const pgUrl = serviceUrl('KILN_TEST_PG_URL');

/** Runs an example in a fresh working directory (its ./kiln.db is its own) and returns its output. */
async function example(name: string): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'kiln-example-'));
  try {
    const { stdout } = await run(process.execPath, ['--import', tsx, join(import.meta.dirname, '..', 'examples', `${name}.ts`)], { cwd, timeout: 60_000 });
    return stdout;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe('the examples in examples/ run and print what they promise', () => {
  it('quick-start (the README program, on the zero-configuration SQLite default)', async () => {
    const out = await example('quick-start');
    assert.match(out, /sent 5 emails: a@example.com, b@example.com, c@example.com, x@example.com, y@example.com/);
    assert.match(out, /next nightly run: \d{4}-\d\d-\d\dT0[12]:00:00.000Z/);
  });

  it('client-actions', async () => {
    const out = await example('client-actions');
    assert.match(out, /requeued: true\nrequeued again from scheduled: false\nrescheduled: true\ndeleted: true/);
    assert.match(out, /history: scheduled .* -> enqueued .* -> scheduled .* -> deleted/);
  });

  it('recurring', async () => {
    const out = await example('recurring');
    assert.match(out, /nightly-clean-up: 0 3 \* \* \* \(Europe\/Paris\)/);
    assert.match(out, /triggered job .* is enqueued/);
    assert.match(out, /left: nightly-clean-up\n/);
  });

  it('continuations', async () => {
    const out = await example('continuations');
    assert.match(out, /import done: parent returned \{"rows":1600\}/);
    assert.match(out, /continuation is deleted: Parent job .* was succeeded/);
  });

  it('filters', async () => {
    const out = await example('filters');
    assert.match(out, /same job: true/);
    assert.match(out, /result: "a-1 charged 500 \(tenant acme\)"/);
    assert.match(out, /history: enqueued -> processing -> failed -> scheduled -> enqueued -> processing -> succeeded/);
  });

  it('events (every event of a job that fails once and succeeds, waitFor, the job log, a final failure)', async () => {
    const out = await example('events');
    assert.match(
      out,
      /event: enqueued \(attempt 1\)\nevent: started \(attempt 1\)\nevent: progress \(attempt 1\)\n {2}failed with database busy; retry follows: true\nevent: failed \(attempt 1\)\nevent: retrying \(attempt 2\)\nevent: enqueued \(attempt 2\)\nevent: started \(attempt 2\)\nevent: progress \(attempt 2\)\nevent: succeeded \(attempt 2\)\nresult: \{"imported":1600\}/,
    );
    assert.match(out, /log: info importing \{"rows":1600,"attempt":1\} \| warn failed: Error: database busy \| info importing \{"rows":1600,"attempt":2\}/);
    assert.match(out, /report failed: mailbox ops@example.com is full/);
  });

  it('cpu-heavy (isolated jobs in worker threads; a runaway one ended at its timeout)', async () => {
    const out = await example('cpu-heavy');
    assert.match(out, /count-primes succeeded: 78498 \(progress 100\)\ncount-primes succeeded: 148933 \(progress 100\)/);
    assert.match(out, /runaway failed: TimeoutError: the attempt ran past its timeout \(1000 ms\); its worker thread was ended/);
    assert.match(out, /longest pause of the server's event loop meanwhile: \d+ ms/);
  });

  it('postgres-transaction (the job exists only if the application commits)', { skip: pgUrl ? false : 'KILN_TEST_PG_URL is not set' }, async () => {
    const out = await example('postgres-transaction');
    assert.match(out, /committed order \d+: job \S+ is enqueued/);
    assert.match(out, /rolled back order \d+ \(payment declined\): order exists: false, job \S+ exists: false/);
    assert.match(out, /receipts sent for orders: \d+\n/);
  });
});
