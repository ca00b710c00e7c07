/**
 * Helpers of the fleet tests: server processes forked from `test/fixtures/fleet-server.ts`, and
 * reading back what they executed.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobClient, Storage, StorageStatistics } from '../../src/index.js';
import { fleetWork } from '../fixtures/fleet-jobs.js';
import { waitFor } from '../support/wait.js';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'fleet-server.ts');

export interface FleetServerOptions {
  backend: 'postgres' | 'redis' | 'sqlite';
  /** The server process to fork, under test/fixtures/ (default `fleet-server.ts`). */
  fixture?: string;
  url: string;
  /** Postgres schema or Redis prefix. */
  namespace: string;
  /** Server name, Postgres application_name and Redis connection name of the process. */
  name: string;
  runsFile: string;
  workers?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  checkMs?: number;
}

export interface FleetServer {
  readonly name: string;
  readonly runsFile: string;
  readonly child: ChildProcess;
  /** Its log lines (stdout and stderr). */
  readonly logs: string[];
  /** Executions it has reported so far (every 100 ms). */
  readonly ran: number;
  /** Counters a fixture reports with its executions (`{ type: 'ran', count, stats }`), if it does. */
  readonly stats: Record<string, number> | undefined;
  /** Resolves when the server started; rejects if the process exited first. */
  readonly started: Promise<void>;
  /** Set once the process exited. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Graceful stop: dispose, flush, exit 0. Resolves with the number of executions it reports. */
  stop(timeoutMs?: number): Promise<number>;
  /** SIGKILL, if it still runs (for finally blocks). */
  kill(): void;
}

export function startFleetServer(o: FleetServerOptions): FleetServer {
  const env: NodeJS.ProcessEnv = { ...process.env, FLEET_NAME: o.name };
  if (o.workers !== undefined) env['FLEET_WORKERS'] = String(o.workers);
  if (o.leaseMs !== undefined) env['FLEET_LEASE_MS'] = String(o.leaseMs);
  if (o.heartbeatMs !== undefined) env['FLEET_HEARTBEAT_MS'] = String(o.heartbeatMs);
  if (o.checkMs !== undefined) env['FLEET_CHECK_MS'] = String(o.checkMs);
  const child = fork(o.fixture ? join(import.meta.dirname, '..', 'fixtures', o.fixture) : fixture, [o.backend, o.url, o.namespace, o.runsFile], {
    execArgv: ['--import', 'tsx'],
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logs: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      logs.push(...lines);
    });
    stream?.on('end', () => {
      if (rest) logs.push(rest);
    });
  };
  collect(child.stdout);
  collect(child.stderr);

  let ran = 0;
  let stats: Record<string, number> | undefined;
  let exit: FleetServer['exit'];
  let stopped: ((count: number) => void) | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const started = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; count?: number; stats?: Record<string, number> }) => {
      if (m.type === 'started') resolve();
      else if (m.type === 'ran') {
        ran = m.count ?? ran;
        stats = m.stats ?? stats;
      }
      else if (m.type === 'stopped') {
        ran = m.count ?? ran;
        stopped?.(ran);
      }
    });
    void exited.then(() => reject(new Error(`${o.name} exited before it started (${JSON.stringify(exit)}):\n${logs.join('\n')}`)));
  });
  started.catch(() => {});

  return {
    name: o.name,
    runsFile: o.runsFile,
    child,
    logs,
    get ran() {
      return ran;
    },
    get stats() {
      return stats;
    },
    started,
    get exit() {
      return exit;
    },
    async stop(timeoutMs = 30_000) {
      if (exit) throw new Error(`${o.name} is not running: it exited (${JSON.stringify(exit)})`);
      const reported = new Promise<number>((resolve) => (stopped = resolve));
      child.send('stop');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${o.name} did not stop within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const count = await Promise.race([reported, timeout]);
        await Promise.race([exited, timeout]);
        const ended = exit as FleetServer['exit'];
        if (ended?.code !== 0) throw new Error(`${o.name} exited with ${JSON.stringify(ended)}`);
        return count;
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (!exit && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** How many times each job id appears in the runs files. */
export function readRuns(files: string[]): Map<string, number> {
  const runs = new Map<string, number>();
  for (const file of files) {
    for (const id of readFileSync(file, 'utf8').split('\n')) {
      if (id) runs.set(id, (runs.get(id) ?? 0) + 1);
    }
  }
  return runs;
}

/** Checks that every id ran exactly once and nothing else ran; returns a problem description or ''. */
export function exactlyOnce(ids: readonly string[], runs: Map<string, number>): string {
  const missing = ids.filter((id) => !runs.has(id));
  const twice = [...runs].filter(([, n]) => n > 1);
  const expected = new Set(ids);
  const strangers = [...runs.keys()].filter((id) => !expected.has(id));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`${missing.length} job(s) never ran, e.g. ${missing.slice(0, 5).join(', ')}`);
  if (twice.length > 0) problems.push(`${twice.length} job(s) ran more than once, e.g. ${twice.slice(0, 5).map(([id, n]) => `${id}×${n}`).join(', ')}`);
  if (strangers.length > 0) problems.push(`${strangers.length} unknown id(s) ran, e.g. ${strangers.slice(0, 5).join(', ')}`);
  return problems.join('; ');
}

/** Storage statistics, or undefined while the storage cannot answer (a restart, a killed connection). */
export async function statisticsOrNothing(storage: Storage): Promise<StorageStatistics | undefined> {
  try {
    return await storage.statistics();
  } catch {
    return undefined;
  }
}

/** Enqueue chunk size: `enqueueMany` writes each chunk in one round trip. */
export const CHUNK = 1_000;

/** Enqueues `jobs` fleet jobs of `ms` each (args `{ i, ms }`), `CHUNK` at a time; returns their ids in order. */
export async function enqueueFleetWork(client: JobClient, jobs: number, ms: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < jobs; i += CHUNK) {
    const args = Array.from({ length: Math.min(CHUNK, jobs - i) }, (_, k) => ({ i: i + k, ms }));
    ids.push(...(await client.enqueueMany(fleetWork, args)));
  }
  return ids;
}

/**
 * Waits (a minute each) until `server` has run `jobs` jobs without exiting and the storage has
 * recorded every completion, reading statistics through outages (`statisticsOrNothing`).
 */
export async function waitForDrain(server: FleetServer, storage: Storage, jobs: number): Promise<void> {
  await waitFor(`all ${jobs} jobs to run`, () => server.exit || server.ran >= jobs, 60_000).catch((e: Error) => {
    throw new Error(`${e.message} (ran ${server.ran}); logs:\n${server.logs.join('\n')}`);
  });
  assert.equal(server.exit, undefined, `the server process did not crash:\n${server.logs.join('\n')}`);
  await waitFor('every completion written', async () => (await statisticsOrNothing(storage))?.states.succeeded === jobs, 60_000);
}
