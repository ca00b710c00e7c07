import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The packages a Kiln application must be able to do without when it imports the root. */
const OPTIONAL = ['pg', 'ioredis', 'hono', '@hono/node-server', 'prom-client'];

/** The npm packages loaded, in a fresh Node process, by the given probe actions (see import-probe.ts). */
async function packagesLoadedBy(...actions: string[]): Promise<string[]> {
  const log = join(tmpdir(), `kiln-import-probe-${process.pid}-${Math.random().toString(36).slice(2)}.log`);
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/import-probe.ts', log, ...actions], { cwd: process.cwd() });
    return (JSON.parse(stdout) as { packages: string[] }).packages;
  } finally {
    rmSync(log, { force: true });
  }
}

describe('the package root', () => {
  let loaded: string[] = [];
  before(async () => {
    loaded = await packagesLoadedBy('import:./src/index.ts');
  });

  it('loads none of pg, ioredis, hono, @hono/node-server, prom-client', () => {
    assert.deepEqual(loaded.filter((p) => OPTIONAL.includes(p)), []);
    // The probe saw the root's own dependencies, so an empty answer is not a blind one.
    assert.ok(loaded.includes('croner'), `expected croner among ${loaded.join(', ')}`);
  });

  it('would be caught loading one: by import (ESM) or by require (a driver loaded with createRequire)', async () => {
    const withBoth = await packagesLoadedBy('import:./src/index.ts', 'import:hono', 'require:pg');
    assert.ok(withBoth.includes('hono'), `hono (imported) not seen in ${withBoth.join(', ')}`);
    assert.ok(withBoth.includes('pg'), `pg (required) not seen in ${withBoth.join(', ')}`);
  });

  it('loads better-sqlite3 only when a database is first opened', () => {
    assert.equal(loaded.includes('better-sqlite3'), false, 'importing the root loaded better-sqlite3');
  });
});

describe('the subpath exports', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { types: string; import: string }> };
  const expected: Record<string, string> = {
    '.': 'BackgroundJobServer',
    './memory': 'MemoryStorage',
    './sqlite': 'SqliteStorage',
    './postgres': 'PostgresStorage',
    './redis': 'RedisStorage',
    './dashboard': 'createDashboard',
    './metrics': 'kilnMetrics',
    './conformance': 'runConformance',
  };

  for (const [subpath, name] of Object.entries(expected)) {
    it(`${subpath} exports ${name}, with its types beside it`, async () => {
      const entry = pkg.exports[subpath];
      assert.ok(entry, `package.json has no export ${subpath}`);
      assert.match(entry.import, /^\.\/dist\/.*\.js$/);
      assert.equal(entry.types, entry.import.replace(/\.js$/, '.d.ts'));
      // dist/ mirrors src/ (tsconfig.build.json: rootDir src): check the source the build compiles.
      const source = entry.import.replace(/^\.\/dist\//, '../../src/').replace(/\.js$/, '.ts');
      const module = (await import(source)) as Record<string, unknown>;
      assert.equal(typeof module[name], 'function', `${source} does not export ${name}`);
    });
  }
});
