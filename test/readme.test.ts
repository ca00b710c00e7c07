import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SqliteStorage } from '../src/index.js';
import { readmeQuickStart } from './support/readme.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

/**
 * tsconfig `paths` that send `kilnjs` and its subpaths to this checkout's sources, read from
 * package.json's `exports` (`./dist/x/index.js` → `src/x/index.ts`), so the README's imports run
 * as written without a build. (test/package.test.ts runs the built package itself.)
 */
function pathsToSources(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { default?: string } | string> };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? undefined : target.default;
    if (!file?.startsWith('./dist/')) continue;
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [join(ROOT, 'src', file.slice('./dist/'.length).replace(/\.js$/, '.ts'))];
  }
  return paths;
}

describe("the README's quick start", () => {
  it('runs as written: the enqueuing program stores the jobs, the server process runs them and stops on SIGTERM', async () => {
    const { files, commands } = readmeQuickStart();
    assert.deepEqual([...files.keys()], ['jobs.ts', 'enqueue.ts', 'server.ts']);
    assert.deepEqual(commands, [['--import', 'tsx', 'enqueue.ts'], ['--import', 'tsx', 'server.ts']]);
    // Inside the checkout, so that `tsx` and `zod` resolve from its node_modules as from a user's.
    mkdirSync(join(ROOT, '.kiln-test'), { recursive: true });
    const cwd = mkdtempSync(join(ROOT, '.kiln-test', 'readme-'));
    try {
      writeFileSync(join(cwd, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(join(cwd, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, paths: pathsToSources() } }));
      for (const [name, code] of files) writeFileSync(join(cwd, name), code);

      const enqueued = await run(process.execPath, commands[0]!, { cwd, timeout: 60_000 });
      const id = /enqueued job (\S+)/.exec(enqueued.stdout)?.[1];
      assert.ok(id, enqueued.stdout);

      const server = spawn(process.execPath, commands[1]!, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      server.stdout.on('data', (d: Buffer) => (output += d.toString()));
      server.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => server.on('exit', (_code, signal) => resolve(signal)));
      const storage = new SqliteStorage(join(cwd, 'kiln.db'));
      try {
        await waitFor('the four immediate jobs to succeed', async () => (await storage.statistics()).states.succeeded === 4, 60_000);
        const stats = await storage.statistics();
        assert.equal(stats.states.scheduled, 1, 'the job delayed by 10 minutes waits');
        assert.equal(stats.states.failed + stats.states.enqueued + stats.states.awaiting, 0);
        assert.equal((await storage.getJob(id))?.state, 'succeeded');
        const sent = (await storage.listJobs({ state: 'succeeded', offset: 0, limit: 10 })).jobs.map((j) => (JSON.parse(j.args) as { to: string }).to).sort();
        assert.deepEqual(sent, ['a@example.com', 'c@example.com', 'x@example.com', 'y@example.com']);
        assert.equal((await storage.getRecurring('nightly'))?.timeZone, 'Europe/Paris');
        assert.match(output, /sending an email to c@example\.com/);
      } finally {
        await storage.close();
        server.kill('SIGTERM');
      }
      assert.equal(await exited, 'SIGTERM', 'the server ends by the signal, after its graceful dispose');
      assert.match(output, /SIGTERM received: shutting down gracefully[\s\S]*server stopped in \d+ ms/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
