import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readmeQuickStart } from './support/readme.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; exports: Record<string, unknown> };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The version of a package installed in this checkout, so the temporary project gets the same. */
const installed = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs a command; resolves to its exit code and output instead of rejecting. */
async function sh(file: string, args: string[], cwd: string, timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
  }
}

const ESM_PROGRAM = `
import { existsSync } from 'node:fs';
import { BackgroundJobServer, JobClient, defineJob, silentLogger, storageFromUrl } from '${pkg.name}';
${Object.keys(pkg.exports).filter((s) => s !== '.' && s !== './package.json').map((s, i) => `import * as sub${i} from '${pkg.name}/${s.slice(2)}';`).join('\n')}

const double = defineJob({ name: 'double', run: (n) => n * 2 });
const server = new BackgroundJobServer({ logger: silentLogger, pollInterval: 20 }); // the SQLite default, ./kiln.db
await server.start();
const client = new JobClient({ logger: silentLogger });
const id = await client.enqueue(double, 21);
let job = await client.get(id);
for (const deadline = Date.now() + 30_000; job?.state !== 'succeeded' && Date.now() < deadline; job = await client.get(id)) {
  await new Promise((r) => setTimeout(r, 20));
}
await server.dispose();
const subpaths = [${Object.keys(pkg.exports).filter((s) => s !== '.' && s !== './package.json').map((_, i) => `Object.keys(sub${i}).length`).join(', ')}];
console.log(JSON.stringify({ state: job?.state, result: job?.result, file: existsSync('kiln.db'), url: typeof storageFromUrl, subpaths }));
`;

const CJS_PROGRAM = `
const kiln = require('${pkg.name}');
const { SqliteStorage } = require('${pkg.name}/sqlite');
const { createDashboard } = require('${pkg.name}/dashboard');
console.log(JSON.stringify({
  client: typeof kiln.JobClient, server: typeof kiln.BackgroundJobServer, sqlite: typeof SqliteStorage,
  dashboard: typeof createDashboard, version: require('${pkg.name}/package.json').version,
}));
`;

const TS_PROGRAM = `
import { BackgroundJobServer, JobClient, defineJob, pinoLogger, storageFromUrl, type JobDetails, type Storage } from '${pkg.name}';
import { SqliteStorage } from '${pkg.name}/sqlite';
import { PostgresStorage } from '${pkg.name}/postgres';
import { RedisStorage } from '${pkg.name}/redis';
import { MemoryStorage } from '${pkg.name}/memory';
import { createDashboard, type DashboardOptions } from '${pkg.name}/dashboard';
import { runConformance } from '${pkg.name}/conformance';

const add = defineJob({ name: 'add', run: ({ a, b }: { a: number; b: number }) => a + b });
const storages: Storage[] = [
  new SqliteStorage('./kiln.db'),
  new MemoryStorage(),
  new PostgresStorage('postgres://localhost/app?schema=jobs'),
  new RedisStorage('redis://localhost:6379?prefix=app:'),
  storageFromUrl('sqlite:./kiln.db'),
];
const client = new JobClient({ storage: storages[0]! });
export async function use(): Promise<JobDetails | null> {
  // @ts-expect-error the arguments are type-checked
  await client.enqueue(add, { a: 1 });
  const id = await client.enqueue(add, { a: 1, b: 2 });
  const options: DashboardOptions = { client, readOnly: true };
  createDashboard(options);
  new BackgroundJobServer({ storage: storages[1]!, logger: pinoLogger({ debug() {}, info() {}, warn() {}, error() {} }) });
  void runConformance;
  return client.get(id);
}
`;

describe('the published package', () => {
  it('packs only what users need; installed in a new project it imports (ESM), requires (CommonJS), type-checks with skipLibCheck false, runs a job on SQLite and a CLI', async () => {
    const work = mkdtempSync(join(tmpdir(), 'kiln-package-'));
    try {
      // npm pack runs prepack: a fresh build of dist/.
      const packed = await sh(npm, ['pack', '--json', '--pack-destination', work], ROOT, 180_000);
      assert.equal(packed.code, 0, packed.stderr);
      const [tarball] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = tarball!.files.map((f) => f.path);
      const outside = files.filter((f) => !/^(dist\/.*\.(js|d\.ts)|docs\/[\w-]+\.md|README\.md|LICENSE|package\.json)$/.test(f));
      assert.deepEqual(outside, [], 'only dist, docs, README, LICENSE and package.json');
      for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/storage/sqlite/index.js', 'README.md', 'LICENSE']) assert.ok(files.includes(f), f);
      assert.ok(!files.some((f) => /\.test\.|\.map$|^dist\/(test|bench)\//.test(f)), 'no tests, maps or benchmarks');

      const project = join(work, 'app');
      mkdirSync(project);
      const pins = Object.fromEntries(['better-sqlite3', 'zod', 'pg', '@types/pg', 'ioredis', 'pino'].map((n) => [n, installed(n)]));
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({
          name: 'kiln-user',
          private: true,
          type: 'module',
          dependencies: { [pkg.name]: `file:../${tarball!.filename}`, ...pins },
          devDependencies: { '@types/node': installed('@types/node') },
        }),
      );
      // Scripts off: better-sqlite3 would download or compile its binary; the one this checkout
      // built for this Node is the same version's, copied in below.
      const install = await sh(npm, ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], project, 180_000);
      assert.equal(install.code, 0, install.stderr);
      assert.deepEqual(readdirSync(join(project, 'node_modules', pkg.name)).sort(), ['LICENSE', 'README.md', 'dist', 'docs', 'package.json']);
      const binary = join('node_modules', 'better-sqlite3', 'build', 'Release');
      mkdirSync(join(project, binary), { recursive: true });
      copyFileSync(join(ROOT, binary, 'better_sqlite3.node'), join(project, binary, 'better_sqlite3.node'));

      writeFileSync(join(project, 'esm.mjs'), ESM_PROGRAM);
      writeFileSync(join(project, 'cjs.cjs'), CJS_PROGRAM);
      writeFileSync(join(project, 'program.ts'), TS_PROGRAM);
      for (const [name, code] of readmeQuickStart().files) writeFileSync(join(project, name), code);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
          include: ['*.ts'],
        }),
      );

      // A Node that strips types by itself (22.18+, 24) would load jobs.ts and run the server.
      const stripsTypes = (process.features as { typescript?: unknown }).typescript !== undefined;
      const kiln = (...args: string[]) => sh(process.execPath, [join('node_modules', '.bin', 'kiln'), ...args], project);
      const [esm, cjs, tsc, version, ts, stats] = await Promise.all([
        sh(process.execPath, ['esm.mjs'], project),
        sh(process.execPath, ['cjs.cjs'], project),
        sh(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project),
        // Run as a user's shell runs it: the bin link, its shebang and mode.
        process.platform === 'win32' ? kiln('--version') : sh(join(project, 'node_modules', '.bin', 'kiln'), ['--version'], project),
        stripsTypes ? undefined : kiln('server', '--jobs', './jobs.ts', '--storage', 'sqlite:./cli.db'),
        kiln('stats', '--storage', './none.db'),
      ]);
      assert.equal(esm.code, 0, esm.stderr);
      const ran = JSON.parse(esm.stdout) as { state: string; result: string; file: boolean; url: string; subpaths: number[] };
      assert.deepEqual([ran.state, ran.result, ran.file, ran.url], ['succeeded', '42', true, 'function'], 'a job ran on ./kiln.db');
      assert.equal(ran.subpaths.length, Object.keys(pkg.exports).length - 2);
      assert.ok(ran.subpaths.every((n) => n > 0), `every subpath export has exports: ${ran.subpaths.join(', ')}`);
      assert.equal(cjs.code, 0, cjs.stderr);
      assert.deepEqual(JSON.parse(cjs.stdout), { client: 'function', server: 'function', sqlite: 'function', dashboard: 'function', version: pkg.version });
      assert.doesNotMatch(cjs.stderr, /ExperimentalWarning/);
      assert.equal(tsc.code, 0, `tsc with skipLibCheck false:\n${tsc.stdout}${tsc.stderr}`);
      assert.equal(version.stdout.trim(), `${pkg.name} ${pkg.version}`);
      if (ts) {
        assert.equal(ts.code, 1, ts.stderr);
        assert.match(ts.stderr, /cannot load TypeScript by itself.*NODE_OPTIONS='--import tsx'/);
      }
      assert.equal(stats.code, 2, stats.stderr);
      assert.match(stats.stderr, /no Kiln database at .*none\.db/);
      assert.ok(!readdirSync(project).includes('none.db') && !readdirSync(project).includes('cli.db'), 'the CLI created no file');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
