/**
 * Runs a Kiln drain with every storage call counted: how many `fetch`, `transition` and other
 * calls the engine makes, how many jobs each carries, and how long they take; and the database
 * server's CPU per job. Shows whether a drain is bound by round trips (small batches), by the
 * database, or by calls besides the hot two.
 *
 *   node --import tsx bench/tools/trace-storage.ts [sqlite|postgres|redis] [jobs=20000] [concurrency=50]
 *
 * With TRACE_LIMITED=1 the jobs carry the per-key concurrency limit of the `drain-limited`
 * workload. With TRACE_PROFILE=/tmp/drain.cpuprofile the drain alone is CPU-profiled (read it with
 * cpuprofile-summary.ts). BENCH_KILN_PREFETCH=n sets the server's prefetch.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Redis } from 'ioredis';
import type { Storage } from '../../src/storage/contract/index.js';
import { REDIS_URL, databaseCpuMs } from '../services.js';
import { systemById } from '../systems/index.js';
import { StartCounter, payloads } from '../workload.js';

const backend = process.argv[2] ?? 'postgres';
const jobs = Number(process.argv[3] ?? 20_000);
const concurrency = Number(process.argv[4] ?? 50);

interface Stat {
  calls: number;
  items: number;
  ms: number;
  sizes: Map<number, number>;
}
const stats = new Map<string, Stat>();

function wrap(storage: Storage, method: string, size: (args: unknown[], result: unknown) => number): void {
  const original = ((storage as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!).bind(storage);
  const record = (args: unknown[], result: unknown, t: number): void => {
    const s = stats.get(method) ?? { calls: 0, items: 0, ms: 0, sizes: new Map() };
    const n = size(args, result);
    s.calls++;
    s.items += n;
    s.ms += performance.now() - t;
    s.sizes.set(n, (s.sizes.get(n) ?? 0) + 1);
    stats.set(method, s);
  };
  // Asynchronous calls are timed to their end; a backend's synchronous helpers pass through as they are.
  (storage as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    const t = performance.now();
    const result: unknown = original(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((value: unknown) => {
      record(args, value, t);
      return value;
    });
  };
}

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
}

// Piped into `head`, keep going after the pipe closes so the namespace is still cleaned up.
process.stdout.on('error', () => {});
const ns = randomBytes(4).toString('hex');
const system = systemById(`kiln-${backend}`).create(ns);
await system.prepare();
try {
  const limited = process.env['TRACE_LIMITED'] === '1';
  for (let i = 0; i < jobs; i += 20_000) {
    const batch = payloads(Math.min(20_000, jobs - i), i);
    await (limited ? system.enqueueBulkLimited!(batch) : system.enqueueBulk(batch));
  }
  // The storage the Kiln system will hand to its server: reach it through the prototype hook.
  const storage = (system as unknown as { storage: Storage | undefined; space: { storage(): Storage } }).space.storage();
  (system as unknown as { storage: Storage }).storage = storage;
  wrap(storage, 'fetch', (_a, r) => (r as unknown[]).length);
  wrap(storage, 'transition', (a) => (a[0] as unknown[]).length);
  // Every other method, counted by calls (size 1).
  for (let proto = Object.getPrototypeOf(storage); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name === 'fetch' || name === 'transition' || name === 'close' || name === 'subscribe') continue;
      if (typeof (storage as unknown as Record<string, unknown>)[name] !== 'function' || stats.has(name)) continue;
      if (Object.prototype.hasOwnProperty.call(storage, name)) continue;
      wrap(storage, name, () => 1);
    }
  }
  const redis = backend === 'redis' ? new Redis(REDIS_URL) : undefined;
  await redis?.config('RESETSTAT');
  const profileTo = process.env['TRACE_PROFILE'];
  const session = profileTo ? new Session() : undefined;
  if (session) {
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
  }
  const counter = new StartCounter(jobs, 120_000);
  const cpu0 = process.cpuUsage();
  const db0 = databaseCpuMs(backend === 'sqlite' ? 'sqlite' : backend === 'redis' ? 'redis' : 'postgres');
  const t0 = performance.now();
  const worker = await system.startWorker(concurrency, counter.handler);
  await counter.done;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const dbMs = databaseCpuMs(backend === 'sqlite' ? 'sqlite' : backend === 'redis' ? 'redis' : 'postgres') - db0;
  if (session && profileTo) {
    const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
    writeFileSync(profileTo, JSON.stringify(profile));
    session.disconnect();
  }
  if (redis) {
    const stats = await redis.info('commandstats');
    const usec = [...stats.matchAll(/cmdstat_(evalsha|eval):calls=(\d+),usec=(\d+)/g)].reduce((n, m) => n + Number(m[3]), 0);
    console.log(`redis-server: ${(usec / jobs).toFixed(1)} µs per job in scripts, busy ${((usec / 1000 / wall) * 100).toFixed(0)}% of the drain`);
    redis.disconnect();
  }
  await worker.stop();
  const busy = (cpu.user + cpu.system) / 1000;
  console.log(`kiln-${backend}: ${Math.round(counter.rate())} jobs/s; this process: ${((busy * 1000) / jobs).toFixed(1)} µs CPU per job, ${((100 * busy) / wall).toFixed(0)}% of one core`);
  if (backend !== 'sqlite') console.log(`database server: ${((dbMs * 1000) / jobs).toFixed(1)} µs CPU per job`);
  for (const [name, s] of stats) {
    const common = [...s.sizes].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k}×${v}`).join(' ');
    console.log(`${name.padEnd(11)} calls ${s.calls}  avg batch ${(s.items / s.calls).toFixed(1)}  avg ${(s.ms / s.calls).toFixed(2)} ms  common sizes ${common}`);
  }
} finally {
  await system.destroy();
}
process.exit(0);
