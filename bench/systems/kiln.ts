/**
 * Kiln on SQLite, Postgres and Redis, with its defaults: retries, history and succeeded-job
 * retention (1 day) all on. Only `workerCount` is set (the workload's concurrency).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { JobClient as JobClientType, Storage } from '../../src/index.js';
import { PG_URL, REDIS_URL, deleteRedisKeys, dropSchema } from '../services.js';
import { LIMITED_KEYS, PER_KEY_LIMIT, type Backend, type Handler, type Payload, type RunningWorker, type System, type SystemSpec } from '../system.js';

/**
 * Kiln as its users run it: the compiled package in dist/ (`npm run bench` builds it first), as
 * the peers run from their compiled packages. Not the TypeScript sources through tsx: its
 * transform keeps function names by wrapping every closure in a helper call, which Kiln would
 * pay for each closure it makes per job (1-2% of a drain's samples, measured) and users never do.
 * The types still come from the sources.
 */
async function fromDist<T>(path: string): Promise<T> {
  const url = new URL(`../../dist/${path}`, import.meta.url);
  if (!existsSync(url)) throw new Error(`bench: ${url.pathname} is missing; run \`npm run build\` first (\`npm run bench\` does)`);
  return (await import(url.href)) as T;
}
const { BackgroundJobServer, JobClient, defineJob, silentLogger } = await fromDist<typeof import('../../src/index.js')>('index.js');
const { SqliteStorage } = await fromDist<typeof import('../../src/storage/sqlite/index.js')>('storage/sqlite/index.js');
const { PostgresStorage } = await fromDist<typeof import('../../src/storage/postgres/index.js')>('storage/postgres/index.js');
const { RedisStorage } = await fromDist<typeof import('../../src/storage/redis/index.js')>('storage/redis/index.js');

let current: Handler = () => {};

/** For experiments only (results are always taken without them): `BENCH_KILN_PG_OPTIONS`. */
function pgOptions(): { options?: string } {
  const options = process.env['BENCH_KILN_PG_OPTIONS'];
  return options === undefined ? {} : { options };
}

/**
 * `BENCH_KILN_METRICS=1`: the server runs with Prometheus metrics on (`observers: [kilnMetrics()]`),
 * to measure their cost per job against a run without (docs/observability.md).
 */
const metricsOn = process.env['BENCH_KILN_METRICS'] !== undefined;
const { kilnMetrics } = metricsOn ? await fromDist<typeof import('../../src/metrics/index.js')>('metrics/index.js') : { kilnMetrics: undefined };

function experiment(): { prefetch?: number; observers?: Array<ReturnType<NonNullable<typeof kilnMetrics>>> } {
  const prefetch = process.env['BENCH_KILN_PREFETCH'];
  // Experiments only: server options as JSON, e.g. '{"heartbeatThread":false}'.
  const extra = process.env['BENCH_KILN_SERVER_OPTIONS'];
  return {
    ...(extra === undefined ? {} : (JSON.parse(extra) as object)),
    ...(prefetch === undefined ? {} : { prefetch: Number(prefetch) }),
    ...(kilnMetrics ? { observers: [kilnMetrics({ logger: silentLogger })] } : {}),
  };
}

/** The benchmark's job: tells the workload it started, and does nothing else. */
const noop = defineJob<Payload>({
  name: 'bench-noop',
  async run(payload) {
    current(payload);
  },
});

/** The same, at most `PER_KEY_LIMIT` running at once per key (`i mod LIMITED_KEYS`), across every server. */
const limited = defineJob<Payload>({
  name: 'bench-limited',
  concurrency: { limit: PER_KEY_LIMIT, key: (p) => `k${p.i % LIMITED_KEYS}` },
  async run(payload) {
    current(payload);
  },
});

function kilnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface Namespace {
  storage(): Storage;
  reset(): Promise<void>;
  drop(): Promise<void>;
}

function namespace(backend: Backend, ns: string): Namespace {
  switch (backend) {
    case 'sqlite': {
      const dir = join(tmpdir(), `kiln-bench-${ns}`);
      return {
        storage: () => {
          mkdirSync(dir, { recursive: true });
          return new SqliteStorage(join(dir, 'kiln.db'));
        },
        reset: async () => {
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
        },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const schema = `kbench_${ns}`;
      return {
        // BENCH_KILN_PG_OPTIONS (experiments only), e.g. '-c synchronous_commit=off'.
        storage: () => new PostgresStorage({ connectionString: PG_URL, ...pgOptions() }, { schema, logger: silentLogger }),
        reset: () => dropSchema(schema),
        drop: () => dropSchema(schema),
      };
    }
    case 'redis': {
      const prefix = `kbench_${ns}:`;
      return {
        storage: () => new RedisStorage(REDIS_URL, { prefix, logger: silentLogger }),
        reset: () => deleteRedisKeys(`{kbench_${ns}}:*`),
        drop: () => deleteRedisKeys(`{kbench_${ns}}:*`),
      };
    }
  }
}

class KilnSystem implements System {
  private storage: Storage | undefined;
  private client: JobClientType | undefined;

  constructor(
    private readonly space: Namespace,
    private readonly serverOptions: { prefetch?: number },
  ) {}

  private get jobs(): JobClientType {
    this.storage ??= this.space.storage();
    this.client ??= new JobClient({ storage: this.storage, logger: silentLogger });
    return this.client;
  }

  async prepare(): Promise<void> {
    await this.space.reset();
    await this.jobs.ready();
  }

  async enqueueBulk(payloads: Payload[]): Promise<void> {
    await this.jobs.enqueueMany(noop, payloads);
  }

  async enqueueBulkLimited(payloads: Payload[]): Promise<void> {
    await this.jobs.enqueueMany(limited, payloads);
  }

  async enqueueOne(payload: Payload): Promise<void> {
    await this.jobs.enqueue(noop, payload);
  }

  async scheduleBulk(payloads: Payload[], at: number): Promise<void> {
    // The client has no bulk schedule: concurrent calls (the storages batch their connections).
    const when = { at: new Date(at) };
    for (let i = 0; i < payloads.length; i += 100) {
      await Promise.all(payloads.slice(i, i + 100).map((p) => this.jobs.schedule(noop, p, when)));
    }
  }

  async startWorker(concurrency: number, handler: Handler): Promise<RunningWorker> {
    current = handler;
    this.storage ??= this.space.storage();
    const server = new BackgroundJobServer({ storage: this.storage, jobs: [noop, limited], workerCount: concurrency, logger: silentLogger, ...this.serverOptions, ...experiment() });
    await server.start();
    return { stop: () => server.dispose() };
  }

  async remaining(): Promise<number> {
    this.storage ??= this.space.storage();
    const { states } = await this.storage.statistics();
    return states.enqueued + states.scheduled + states.processing + states.awaiting;
  }

  async close(): Promise<void> {
    await this.storage?.close();
    this.storage = undefined;
    this.client = undefined;
  }

  async destroy(): Promise<void> {
    await this.close();
    await this.space.drop();
  }
}

function spec(backend: Backend, label: string, config: string, variant?: { suffix: string; prefetch: number }): SystemSpec {
  if (!variant) config += ' (default prefetch: workerCount, doubling up to 16 × workerCount while fast jobs leave the slots waiting on round trips)';
  return {
    id: `kiln-${backend}${variant ? `-${variant.suffix}` : ''}`,
    label,
    backend,
    kiln: true,
    limits: true,
    version: kilnVersion,
    config,
    create: (ns) => new KilnSystem(namespace(backend, ns), variant ? { prefetch: variant.prefetch } : {}),
  };
}

export const kilnSqlite = spec('sqlite', 'Kiln SQLite', 'SqliteStorage(file in tmpdir) defaults (WAL, synchronous=normal); server defaults, workerCount = concurrency');
export const kilnPostgres = spec('postgres', 'Kiln PG', 'PostgresStorage defaults (pool 10), own schema; server defaults, workerCount = concurrency');
/** Kiln's local queue as large as graphile-worker's batched configuration (500 claimed at once). */
export const kilnPostgresBatch = spec(
  'postgres',
  'Kiln PG+batch',
  'as Kiln PG, with prefetch: 450 (workerCount 50 + 450 = up to 500 jobs claimed per round trip, as graphile+batch\'s localQueue of 500)',
  { suffix: 'batch', prefetch: 450 },
);
export const kilnRedis = spec('redis', 'Kiln Redis', 'RedisStorage defaults (auto-pipelining), own prefix; server defaults, workerCount = concurrency');
