import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { JobClient, SqliteStorage, defineJob, silentLogger } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

const execFileP = promisify(execFile);
const tsx = import.meta.resolve('tsx');
const main = join(import.meta.dirname, '../../src/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
const file = join(dir, 'kiln.db');
const storage = new SqliteStorage(file);
after(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function kiln(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, ['--import', tsx, main, ...args, '--storage', `sqlite:${file}`], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const greet = defineJob({ name: 'cli-greet', run: (name: string) => `hello ${name}` });

describe('the kiln command', () => {
  it('migrates, shows stats, lists and shows jobs, requeues and deletes', async () => {
    assert.match((await kiln('migrate')).stdout, /up to date/);
    const client = new JobClient({ storage, logger: silentLogger });
    const [a, b] = await client.enqueueMany(greet, ['ada', 'bob']);
    const stats = await kiln('stats');
    assert.match(stats.stdout, /enqueued +2/);
    const list = await kiln('jobs', 'enqueued');
    assert.match(list.stdout, /2 enqueued job\(s\)/);
    assert.ok(list.stdout.includes(a!) && list.stdout.includes(b!));
    assert.match((await kiln('show', a!)).stdout, /cli-greet .*enqueued .*\n.*args: "ada"/);
    assert.match((await kiln('delete', a!)).stdout, /deleted/);
    assert.equal((await storage.getJob(a!))?.state, 'deleted');
    assert.match((await kiln('requeue', a!)).stdout, /requeued/);
    assert.equal((await storage.getJob(a!))?.state, 'enqueued');
    const json = JSON.parse((await kiln('jobs', 'enqueued', '--json')).stdout) as { total: number };
    assert.equal(json.total, 2);
  });

  it('manages recurring jobs', async () => {
    const client = new JobClient({ storage, logger: silentLogger });
    await client.recurring.addOrUpdate('cli-hourly', greet, 'hourly', { cron: '0 * * * *' });
    assert.match((await kiln('recurring')).stdout, /cli-hourly {2}0 \* \* \* \* \(UTC\) {2}next /);
    assert.match((await kiln('recurring', 'pause', 'cli-hourly')).stdout, /paused/);
    assert.match((await kiln('recurring', 'list')).stdout, /paused/);
    assert.match((await kiln('recurring', 'trigger', 'cli-hourly')).stdout, /enqueued job /);
    assert.match((await kiln('recurring', 'remove', 'cli-hourly')).stdout, /removed/);
  });

  it('refuses bad input with a clear message and exit code 1', async () => {
    const r = await kiln('jobs', 'sideways');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /state must be one of enqueued/);
    assert.equal((await kiln('frobnicate')).code, 1);
    assert.match((await kiln('server')).stderr, /--jobs <module>/);
    assert.match((await kiln('show', 'nope')).stderr, /id: must be a job id|no job/);
  });

  it('runs a server for a jobs module until SIGTERM, and serves the dashboard', async () => {
    const client = new JobClient({ storage, logger: silentLogger });
    const id = await client.enqueue(greet, 'server');
    const server = spawn(process.execPath, ['--import', tsx, main, 'server', '--jobs', join(import.meta.dirname, '../fixtures/cli-jobs.ts'), '--storage', `sqlite:${file}`], { stdio: 'ignore' });
    await waitFor('the CLI server ran the job', async () => (await storage.getJob(id))?.state === 'succeeded');
    assert.equal((await storage.getJob(id))?.result, '"hello server"');
    const exited = new Promise<number | null>((r) => server.on('exit', (code, signal) => r(code ?? (signal ? 0 : null))));
    server.kill('SIGTERM');
    await exited;
    await waitFor('the server removed itself', async () => (await storage.listServers()).length === 0);

    const dash = spawn(process.execPath, ['--import', tsx, main, 'dashboard', '--port', '0', '--storage', `sqlite:${file}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    dash.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const url = await waitFor('the dashboard URL', () => /on (http:\/\/\S+)/.exec(output)?.[1]);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Kiln/);
    const done = new Promise((r) => dash.on('exit', r));
    dash.kill('SIGINT');
    await done;
  });
});
