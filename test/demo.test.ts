import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from './support/wait.js';

describe('the demo (npm run demo)', () => {
  it('starts servers and the dashboard on ./kiln.db, fills every page, runs sample jobs including a retried one, and stops cleanly on Ctrl-C', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kiln-demo-'));
    let running: ReturnType<typeof spawn> | undefined;
    try {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '..', 'examples', 'demo.ts')], {
        cwd,
        env: { ...process.env, KILN_DEMO_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      running = child;
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

      const url = await waitFor('the dashboard URL', () => /dashboard is on (http:\/\/\S+?)\.? /.exec(output)?.[1], 30_000);
      assert.equal((await fetch(url)).status, 200);
      // Every page of the tour has something to show.
      const pages: Array<[string, RegExp]> = [
        ['jobs/enqueued?queue=media', /resize-image/],
        ['jobs/processing', /export-archive[\s\S]*<progress/],
        ['jobs/scheduled', /send-newsletter/],
        ['jobs/awaiting', /archive-newsletter/],
        ['jobs/succeeded', /send-email/],
        ['jobs/failed', /charge-card[\s\S]*card declined/],
        ['jobs/deleted', /send-reminder[\s\S]*unsubscribed/],
        ['retries', /sync-crm[\s\S]*API token expired/],
        ['recurring', /(?=[\s\S]*clean-up)(?=[\s\S]*nightly-digest)(?=[\s\S]*hourly-sync)[\s\S]*badge paused/],
        ['servers', /media-worker/],
        ['queues', /(?=[\s\S]*>critical<)(?=[\s\S]*>mail<)(?=[\s\S]*>media<)[\s\S]*>reports</],
        ['queues', /<code>[^<]*acme[^<]*<\/code>[\s\S]*? \/ 2 running/],
      ];
      for (const [path, content] of pages) {
        await waitFor(`the demo's ${path} page`, async () => content.test(await (await fetch(url + path)).text()), 30_000);
      }
      await waitFor('emails sent', () => /email sent to/.test(output), 30_000);
      await waitFor('the webhook delivered after two failed attempts', () => /delivered on attempt 3/.test(output), 30_000);
      assert.match(output, /answered 503 \(attempt 1\)/);
      assert.match(output, /answered 503 \(attempt 2\)/);
      assert.ok(existsSync(join(cwd, 'kiln.db')), 'the zero-configuration SQLite file');

      child.kill('SIGINT');
      const { signal } = await exited;
      assert.equal(signal, 'SIGINT', 'the process ends by the signal, after the graceful shutdown');
      assert.match(output, /server stopped in \d+ ms/);
    } finally {
      if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
