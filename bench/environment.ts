/** The machine and software a run measured, for the results page. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import type { Environment } from './report.js';
import { REDIS_URL, packageVersion, pgQuery } from './services.js';

async function postgresVersion(): Promise<string> {
  try {
    const r = await pgQuery('SHOW server_version');
    return `Postgres ${(r.rows[0] as { server_version: string }).server_version}`;
  } catch (e) {
    return `Postgres unreachable (${String(e)})`;
  }
}

async function redisVersion(): Promise<string> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch (e) {
    return `unreachable (${String(e)})`;
  } finally {
    redis.disconnect();
  }
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '';
    return head + dirty;
  } catch {
    return 'unknown';
  }
}

export async function environment(): Promise<Environment> {
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    loadAverage: loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    postgres: await postgresVersion(),
    redis: await redisVersion(),
    versions: Object.fromEntries(['bullmq', 'graphile-worker', 'pg-boss', 'pg', 'ioredis', 'better-sqlite3'].map((p) => [p, packageVersion(p)])),
    commit: commit(),
    experiments: Object.entries(process.env)
      .filter(([k]) => k.startsWith('BENCH_KILN_'))
      .map(([k, v]) => `${k}=${v ?? ''}`),
  };
}
