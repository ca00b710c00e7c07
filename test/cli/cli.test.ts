import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { kiln as kilnCli } from '../../src/cli/kiln.js';
import { JobClient, SqliteStorage, silentLogger } from '../../src/index.js';
import { PostgresStorage } from '../../src/storage/postgres/index.js';
import { greet } from '../fixtures/cli-jobs.js';
import { parseScrape, valueOf } from '../support/prometheus.js';
import { serviceUrl } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const execFileP = promisify(execFile);
const tsx = import.meta.resolve('tsx');
const main = join(import.meta.dirname, '../../src/cli/main.ts');
const fixture = join(import.meta.dirname, '../fixtures/cli-jobs.ts');
const pgUrl = serviceUrl('KILN_TEST_PG_URL');
const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
const file = join(dir, 'kiln.db');
const storage = new SqliteStorage(file);
after(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | 'running';
  stdout: string;
  stderr: string;
}

/** Runs a command line in this process (the same function `kiln` runs), capturing its output. */
async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const log = mock.method(console, 'log', (...a: unknown[]) => (stdout += `${a.join(' ')}\n`));
  const error = mock.method(console, 'error', (...a: unknown[]) => (stderr += `${a.join(' ')}\n`));
  try {
    return { code: await kilnCli(args), stdout, stderr };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

/** `kiln ...args --storage sqlite:<the test's file>`, in this process. */
const kiln = (...args: string[]) => cli(...args, '--storage', `sqlite:${file}`);

/** Runs the real `kiln` process in `cwd`, without KILN_STORAGE, as a user would. */
async function spawned(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  const env = { ...process.env };
  delete env['KILN_STORAGE'];
  try {
    await execFileP(process.execPath, ['--import', tsx, main, ...args], { cwd, env, timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe('the kiln command', () => {
  it('migrates, shows stats, lists and shows jobs, requeues and deletes', async () => {
    assert.match((await kiln('migrate')).stdout, /up to date/);
    const client = new JobClient({ storage, logger: silentLogger });
    const [a, b] = await client.enqueueMany(greet, ['ada', 'bob']);
    assert.match((await kiln('stats')).stdout, /enqueued +2/);
    const list = await kiln('jobs', 'enqueued');
    assert.match(list.stdout, /2 enqueued job\(s\)/);
    assert.ok(list.stdout.includes(a!) && list.stdout.includes(b!));
    assert.match((await kiln('show', a!)).stdout, /cli-greet .*enqueued .*\n.*args: "ada"/);
    assert.equal((JSON.parse((await kiln('jobs', 'enqueued', '--json')).stdout) as { total: number }).total, 2);
    assert.match((await kiln('delete', a!)).stdout, /deleted/);
    assert.equal((await storage.getJob(a!))?.state, 'deleted');
    assert.match((await kiln('requeue', a!)).stdout, /requeued/);
    assert.equal((await storage.getJob(a!))?.state, 'enqueued');
    const unchanged = await kiln('requeue', a!, 'no-such-job');
    assert.equal(unchanged.code, 1, 'a job that was not changed is exit 1');
    assert.match(unchanged.stdout, /no-such-job: not changed/);
  });

  it('manages recurring jobs', async () => {
    const client = new JobClient({ storage, logger: silentLogger });
    await client.recurring.addOrUpdate('cli-hourly', greet, 'hourly', { cron: '0 * * * *' });
    assert.match((await kiln('recurring')).stdout, /cli-hourly {2}0 \* \* \* \* \(UTC\) {2}next /);
    assert.match((await kiln('recurring', 'pause', 'cli-hourly')).stdout, /paused/);
    assert.match((await kiln('recurring', 'list')).stdout, /paused/);
    assert.match((await kiln('recurring', 'trigger', 'cli-hourly')).stdout, /enqueued job /);
    assert.match((await kiln('recurring', 'remove', 'cli-hourly')).stdout, /removed/);
    assert.equal((await kiln('recurring', 'pause', 'cli-hourly')).code, 1, 'no such recurring job');
  });

  it('lists, pauses, resumes and limits queues; refuses bad input with exit 1 and a missing storage with exit 2', async () => {
    const client = new JobClient({ storage, logger: silentLogger });
    await client.enqueue(greet, 'queued', { queue: 'cli-q' });
    assert.match((await kiln('queues')).stdout, /^cli-q {2}1 enqueued {2}0 processing$/m);
    assert.equal((await kiln('queues', 'pause', 'cli-q')).stdout, 'cli-q: paused\n');
    assert.equal((await kiln('queues', 'pause', 'cli-q')).stdout, 'cli-q: already paused\n');
    assert.match((await kiln('queues', 'list')).stdout, /^cli-q {2}1 enqueued {2}0 processing {2}paused$/m);
    assert.equal((await kiln('queues', 'limit', 'cli-q', '--concurrency', '3', '--rate', '100/1s')).code, 0);
    const listed = JSON.parse((await kiln('queues', '--json')).stdout) as Array<{ name: string; paused: boolean; concurrency: number; rate: unknown }>;
    assert.deepEqual(listed.find((q) => q.name === 'cli-q'), { name: 'cli-q', enqueued: 1, processing: 0, paused: true, concurrency: 3, rate: { max: 100, perMs: 1000 } });
    assert.equal((await kiln('queues', 'resume', 'cli-q')).stdout, 'cli-q: resumed\n');
    assert.equal((await kiln('queues', 'limit', 'cli-q')).stdout, 'cli-q: no limits\n');
    assert.match((await kiln('queues')).stdout, /^cli-q {2}1 enqueued {2}0 processing$/m);
    const cases: Array<[string[], number, RegExp]> = [
      [['queues', 'frobnicate'], 1, /unknown action "frobnicate"; use list, pause, resume, limit/],
      [['queues', 'pause'], 1, /kiln queues pause <name>: give the queue's name/],
      [['queues', 'pause', 'Not A Queue'], 1, /name: must be 1-100 lowercase letters/],
      [['queues', 'limit', 'cli-q', '--rate', '5'], 1, /--rate must be <max>\/<per>/],
      [['queues', 'limit', 'cli-q', '--rate', '5/2d'], 1, /limits\.rate\.per: must be at most 86400000 ms/],
      [['queues', 'limit', 'cli-q', '--concurrency', '0'], 1, /limits\.concurrency: must be a whole number from 1/],
      [['queues', 'pause', 'cli-q', '--concurrency', '2'], 1, /--concurrency and --rate are for kiln queues limit/],
      [['queues', 'list', '--storage', join(dir, 'typo.db')], 2, /no Kiln database at .*typo\.db/],
      [['queues', 'pause', 'cli-q', '--storage', join(dir, 'typo.db')], 2, /no Kiln database at .*typo\.db/],
    ];
    for (const [args, code, message] of cases) {
      const r = args.includes('--storage') ? await cli(...args) : await kiln(...args);
      assert.equal(r.code, code, `kiln ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, `kiln ${args.join(' ')}`);
      assert.equal(r.stdout, '', 'nothing on stdout');
    }
    assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('kiln.db')), [], 'no file created');
    assert.deepEqual(await client.queues.list().then((l) => l.filter((q) => q.paused || q.concurrency !== null)), [], 'nothing changed by the refused commands');
    await client.delete((await storage.listJobs({ state: 'enqueued', queue: 'cli-q', offset: 0, limit: 1 })).jobs[0]!.id);
  });

  it('helps: kiln help, kiln help <command>, kiln <command> --help, --version', async () => {
    const bare = await cli();
    assert.equal(bare.code, 1, 'a bare kiln is a usage error');
    assert.match(bare.stderr, /Usage: kiln <command>/);
    const help = await cli('help');
    assert.equal(help.code, 0);
    for (const c of ['server', 'dashboard', 'migrate', 'stats', 'jobs', 'show', 'enqueue', 'requeue', 'delete', 'recurring', 'queues']) assert.match(help.stdout, new RegExp(`\\n  ${c} +\\S`));
    const enqueueHelp = await cli('help', 'enqueue');
    assert.equal(enqueueHelp.code, 0);
    assert.match(enqueueHelp.stdout, /Usage: kiln enqueue <name> \[options\]/);
    for (const o of ['--args <json>', '--queue <name>', '--delay <duration>', '--at <time>', '--jobs <module>', '--storage <url>']) assert.ok(enqueueHelp.stdout.includes(o), o);
    const flagHelp = await cli('enqueue', '--help');
    assert.equal(flagHelp.stdout, enqueueHelp.stdout, 'kiln <command> --help is the same text');
    assert.doesNotMatch((await cli('stats', '--help')).stdout, /--limit|--delay/, "only the command's own options");
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { name: string; version: string };
    assert.equal((await cli('--version')).stdout.trim(), `${pkg.name} ${pkg.version}`);
    assert.equal((await cli('help', 'frobnicate')).code, 1);
  });

  it('refuses bad input with exit 1 and a missing or unreachable storage with exit 2, creating nothing', async () => {
    const before = (await storage.statistics()).states;
    const cases: Array<[string[], number, RegExp]> = [
      [['stats', '--storage', 'mysql://root:hunter2@localhost/db'], 1, /unknown storage scheme 'mysql:' in mysql:\/\/root:\*\*\*@localhost\/db/],
      [['jobs', 'failed', '--storage', join(dir, 'typo.db')], 2, /no Kiln database at .*typo\.db \(from --storage\); kiln jobs never creates one/],
      [['dashboard', '--port', '0', '--storage', join(dir, 'typo.db')], 2, /no Kiln database at .*typo\.db/],
      [['enqueue', 'cli-greet', '--storage', join(dir, 'typo.db')], 2, /no Kiln database at .*typo\.db/],
      [['stats', '--storage', 'redis://127.0.0.1:1'], 2, /cannot use the Redis storage at redis:\/\/127\.0\.0\.1:1: Redis does not answer/],
      [['stats', '--storage', join(import.meta.dirname, '../../package.json')], 2, /package\.json \(from --storage\) is not a SQLite database/],
      [['stats', '--storage', 'memory:'], 1, /memory:, which lives inside one process/],
      [['enqueue', 'cli-greet', '--args', '{"to": '], 1, /--args is not JSON/],
      [['stats', '--frobnicate'], 1, /^kiln stats: unknown option --frobnicate \(it takes --json, --storage, --help; see kiln stats --help\)$/m],
      [['stats', '--json=yes'], 1, /--json takes no value/],
      [['jobs', 'failed', '--limit'], 1, /--limit needs a value: --limit <n>/],
      [['jobs', 'failed', '--limit', '0'], 1, /--limit must be a whole number from 1 to 500, got 0/],
      [['jobs', 'sideways'], 1, /state must be one of enqueued, .* or retries, got "sideways"/],
      [['jobs'], 1, /kiln jobs needs <state>/],
      [['show', 'a', 'b'], 1, /unexpected argument "b"/],
      [['enqueue', 'cli-greet', '--delay', '10m', '--at', '2030-01-01T00:00:00Z'], 1, /give --delay or --at, not both/],
      [['enqueue', 'cli-greet', '--at', 'tomorrow'], 1, /--at must be an ISO 8601 time/],
      [['enqueue', 'cli-greet', '--delay', 'soon'], 1, /--delay: must be milliseconds or a string like '30s'/],
      [['enqueue', 'cli-greet', '--queue', 'Not A Queue'], 1, /queue: must be 1-100 lowercase letters/],
      [['enqueue', 'no spaces allowed'], 1, /name: must be 1-200 letters/],
      [['enqueue', 'cli-mail', '--jobs', join(dir, 'no-such-module.ts')], 1, /--jobs: no file .*no-such-module\.ts/],
      [['enqueue', 'cli-nothing', '--jobs', fixture], 1, /defines no job named "cli-nothing" \(it defines: .*cli-greet, cli-mail/],
      [['server', '--jobs', fixture, '--workers', 'lots'], 1, /--workers must be a whole number/],
      [['server', '--jobs', fixture, '--metrics'], 1, /kiln server: --metrics needs --health-port <n>/],
      [['server', '--jobs', fixture, '--health-port', 'x'], 1, /--health-port must be a whole number from 0 to 65535/],
      [['dashboard', '--port', '0', '--token', 'short'], 1, /--token must be 16 to 1000 characters/],
      [['dashboard', '--port', '0', '--host', '0.0.0.0'], 1, /--host 0\.0\.0\.0 is not a loopback address: give a token \(KILN_DASHBOARD_TOKEN or --token\)/],
      [['show', 'no-such-job'], 1, /no job no-such-job/],
      [['frobnicate'], 1, /unknown command "frobnicate"; see kiln help/],
    ];
    for (const [args, code, message] of cases) {
      const r = args.includes('--storage') ? await cli(...args) : await kiln(...args);
      assert.equal(r.code, code, `kiln ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, `kiln ${args.join(' ')}`);
      assert.doesNotMatch(r.stderr, /hunter2|ERR_PARSE_ARGS|\n\s+at /, 'no password, no parseArgs text, no stack');
      assert.equal(r.stdout, '', 'nothing on stdout');
    }
    assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('kiln.db')), [], 'no file created');
    assert.deepEqual((await storage.statistics()).states, before, 'no job created');
  });

  it('exits with the code as a real process, and a bare kiln stats creates no ./kiln.db', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kiln-cli-empty-'));
    try {
      const [bare, scheme] = await Promise.all([spawned(['stats'], empty), spawned(['stats', '--storage', 'mysql://localhost/db'], empty)]);
      assert.equal(bare.code, 2);
      assert.match(bare.stderr, /no Kiln database at .*kiln\.db \(no --storage given and KILN_STORAGE is not set\)/);
      assert.equal(scheme.code, 1);
      assert.match(scheme.stderr, /unknown storage scheme 'mysql:'/);
      assert.deepEqual(readdirSync(empty), [], 'no file, no directory created');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('enqueues by name, now, after a delay or at a time, for a server that knows the job', async () => {
    const before = Date.now();
    const ids: string[] = [];
    for (const args of [
      ['cli-greet', '--args', '"eve"'],
      ['cli-greet', '--args', '"fay"', '--delay', '1h', '--queue', 'slow'],
      ['cli-greet', '--args', '"gus"', '--at', '2030-01-02T03:04:05Z'],
      ['cli-mail', '--args', '"hal"', '--jobs', fixture],
      ['cli-unknown-here'],
    ]) {
      const r = await kiln('enqueue', ...args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\S+\n$/, 'prints the id alone');
      ids.push(r.stdout.trim());
    }
    const [now, later, at, mail, unknown] = await Promise.all(ids.map((id) => storage.getJob(id)));
    assert.deepEqual([now?.state, now?.queue, now?.args], ['enqueued', 'default', '"eve"']);
    assert.deepEqual([later?.state, later?.queue], ['scheduled', 'slow']);
    assert.ok(later!.runAt! >= before + 3_600_000 && later!.runAt! <= Date.now() + 3_600_000);
    assert.deepEqual([at?.state, at?.runAt], ['scheduled', Date.parse('2030-01-02T03:04:05Z')]);
    assert.deepEqual([mail?.state, mail?.queue], ['enqueued', 'mail'], "--jobs gives the definition's queue");
    assert.deepEqual([unknown?.name, unknown?.state, unknown?.queue], ['cli-unknown-here', 'enqueued', 'default'], 'a job this process does not know');

    // A server process that knows the jobs runs them; the one it does not know fails with a reason.
    const server = spawn(process.execPath, ['--import', tsx, main, 'server', '--jobs', fixture, '--queues', 'default,mail', '--storage', `sqlite:${file}`], { stdio: 'ignore' });
    try {
      await waitFor('the CLI server ran the jobs', async () => {
        const states = await Promise.all([now!.id, mail!.id, unknown!.id].map(async (id) => (await storage.getJob(id))?.state));
        return states[0] === 'succeeded' && states[1] === 'succeeded' && states[2] === 'failed';
      });
      assert.equal((await storage.getJob(now!.id))?.result, '"hello eve"');
      assert.equal((await storage.getJob(mail!.id))?.result, '"mailed hal"');
    } finally {
      const exited = new Promise<void>((r) => server.on('exit', () => r()));
      server.kill('SIGTERM');
      await exited;
    }
    await waitFor('the server removed itself', async () => (await storage.listServers()).length === 0);
  });

  it('serves the dashboard on an existing storage until SIGINT', async () => {
    const dash = spawn(process.execPath, ['--import', tsx, main, 'dashboard', '--port', '0', '--storage', `sqlite:${file}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    dash.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const done = new Promise((r) => dash.on('exit', r));
    try {
      const url = await waitFor('the dashboard URL', () => /on (http:\/\/\S+)/.exec(output)?.[1], 60_000);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /Kiln/);
    } finally {
      dash.kill('SIGINT');
      await done;
    }
  });

  it('serves health and metrics on kiln server --health-port, and the dashboard in a container with KILN_DASHBOARD_TOKEN', async () => {
    const own = join(dir, 'observed.db');
    const ownStorage = new SqliteStorage(own);
    await ownStorage.migrate(); // the dashboard needs a storage that exists; both processes start at once
    /** Starts `kiln ...args` and resolves what `pattern` finds in its output. */
    const start = (args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = process.env) => {
      const child = spawn(process.execPath, ['--import', tsx, main, ...args, '--storage', `sqlite:${own}`], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise((r) => child.on('exit', r));
      return { found: waitFor(`kiln ${args[0]} to listen`, () => pattern.exec(output)?.[1], 60_000), stop: () => (child.kill('SIGTERM'), exited) };
    };
    // In a container: listening on every address, admitting requests that carry the token.
    const token = randomBytes(24).toString('base64url');
    const server = start(['server', '--jobs', fixture, '--health-port', '0', '--health-host', '127.0.0.1', '--metrics'], /health on (http:\/\/\S+)\/healthz/);
    const dash = start(['dashboard', '--host', '0.0.0.0', '--port', '0', '--metrics'], /on http:\/\/0\.0\.0\.0:(\d+)\//, { ...process.env, KILN_DASHBOARD_TOKEN: token });
    try {
      const [health, port] = await Promise.all([server.found, dash.found]);
      const id = await new JobClient({ storage: ownStorage, logger: silentLogger }).enqueue(greet, 'ivy');
      await waitFor('the job to run', async () => (await ownStorage.getJob(id))?.state === 'succeeded');
      const live = await fetch(`${health}/healthz`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { live: true, status: 'running' });
      const ready = await fetch(`${health}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { storage: { reachable: boolean } }).storage.reachable, true);
      const scrape = parseScrape(await (await fetch(`${health}/metrics`)).text());
      assert.equal(valueOf(scrape, 'kiln_job_runs_total', { job: 'cli-greet', outcome: 'succeeded' }), 1);
      assert.equal(valueOf(scrape, 'kiln_jobs', { state: 'succeeded' }), 1);

      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/`)).status, 403, 'listening on 0.0.0.0, no request is local');
      const bearer = { headers: { authorization: `Bearer ${token}` } };
      assert.equal((await fetch(`${base}/`, bearer)).status, 200);
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'probes need no token');
      assert.equal((await fetch(`${base}/metrics`)).status, 403);
      const dashboardScrape = parseScrape(await (await fetch(`${base}/metrics`, bearer)).text());
      assert.equal(valueOf(dashboardScrape, 'kiln_jobs', { state: 'succeeded' }), 1);
    } finally {
      await Promise.all([server.stop(), dash.stop()]);
      await ownStorage.close();
    }
  });

  it('reads a Postgres URL as the library does: ?schema= names the same data set, and a missing schema is not created', { skip: !pgUrl && 'KILN_TEST_PG_URL is not set' }, async () => {
    const schema = `kiln_cli_${randomBytes(4).toString('hex')}`;
    const url = `${pgUrl!}${pgUrl!.includes('?') ? '&' : '?'}schema=${schema}`;
    const admin = new pg.Client({ connectionString: pgUrl! });
    await admin.connect();
    const schemaExists = async () => (await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rowCount === 1;
    try {
      for (const command of [['jobs', 'enqueued'], ['dashboard', '--port', '0'], ['enqueue', 'cli-greet']]) {
        const missing = await cli(...command, '--storage', url);
        assert.equal(missing.code, 2, command.join(' '));
        assert.match(missing.stderr, new RegExp(`no Kiln schema "${schema}" in .*; create it with kiln migrate`));
      }
      assert.equal(await schemaExists(), false, 'reading created no schema');
      const app = new PostgresStorage(url, { logger: silentLogger });
      try {
        const id = await new JobClient({ storage: app, logger: silentLogger }).enqueue(greet, 'pg');
        const listed = await cli('jobs', 'enqueued', '--storage', url);
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stdout, new RegExp(`1 enqueued job\\(s\\)\\n${id}  cli-greet`));
      } finally {
        await app.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
