import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from './support/wait.js';

describe('the demo (npm run demo)', () => {
  it('starts a server and the dashboard on ./kiln.db, runs sample jobs including a retried one, and stops cleanly on Ctrl-C', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kiln-demo-'));
    try {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '..', 'examples', 'demo.ts')], {
        cwd,
        env: { ...process.env, KILN_DEMO_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

      const url = await waitFor('the dashboard URL', () => /dashboard is on (http:\/\/\S+?)\.? /.exec(output)?.[1], 30_000);
      assert.equal((await fetch(url)).status, 200);
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
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
