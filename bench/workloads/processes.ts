/** Workloads that run workers in child processes: the multi-process drain and peak RSS. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChildArgs, ChildMessage, ChildProgress, ParentMessage } from '../child.js';
import type { SystemSpec } from '../system.js';
import { databaseCpuMs } from '../services.js';
import { budgetOf, settle, within, withFreshSystem, type BenchOptions, type Measurement, type Workload } from '../workload.js';
import { enqueueBacklog } from './drain.js';

const CHILD = fileURLToPath(new URL('../child.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  progress: ChildProgress;
  stopped: Promise<ChildProgress & { maxRss: number }>;
}

async function spawnChild(args: ChildArgs, onProgress: () => void): Promise<Child> {
  const proc = fork(CHILD, [JSON.stringify(args)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child: Child = { proc, progress: { count: 0, first: 0, last: 0, peakRss: 0 }, stopped: undefined as never };
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stopped = new Promise((resolve, reject) => {
    proc.on('message', (m: ChildMessage) => {
      if (m.t === 'ready') ready();
      else if (m.t === 'progress') {
        child.progress = m;
        onProgress();
      } else if (m.t === 'stopped') resolve(m);
    });
    proc.on('exit', (code) => reject(new Error(`benchmark child exited with ${code}`)));
  });
  child.stopped.catch(() => {});
  await Promise.race([isReady, child.stopped]);
  return child;
}

const tell = (c: Child, m: ParentMessage) => c.proc.send(m);

/**
 * Runs `processes` workers in child processes over a backlog of `backlog` jobs; returns the drain
 * rate across all of them (first start anywhere to last start anywhere) and the children's reports.
 */
async function drainInChildren(spec: SystemSpec, o: BenchOptions, processes: number, backlog: number) {
  return withFreshSystem(spec, async (system, ns) => {
    const t = performance.now();
    await enqueueBacklog(system, backlog, 10_000);
    const enqueueMs = performance.now() - t;
    let wake: () => void = () => {};
    const children: Child[] = [];
    const total = () => children.reduce((n, c) => n + c.progress.count, 0);
    let db0 = 0;
    let dbMs = 0;
    try {
      for (let k = 0; k < processes; k++) children.push(await spawnChild({ system: spec.id, ns, concurrency: o.concurrency }, () => wake()));
      const done = new Promise<void>((resolve) => {
        wake = () => {
          if (total() >= backlog) resolve();
        };
      });
      db0 = databaseCpuMs(spec.backend);
      for (const c of children) tell(c, { t: 'go' });
      await within(done, budgetOf(spec, o));
      dbMs = databaseCpuMs(spec.backend) - db0;
    } finally {
      for (const c of children) tell(c, { t: 'stop' });
    }
    const reports = await Promise.all(children.map((c) => c.stopped));
    await Promise.all(children.map((c) => (c.proc.exitCode === null ? once(c.proc, 'exit') : undefined)));
    const count = reports.reduce((n, r) => n + r.count, 0);
    const first = Math.min(...reports.filter((r) => r.count > 0).map((r) => r.first));
    const last = Math.max(...reports.map((r) => r.last));
    const rate = count > 1 ? ((count - 1) * 1000) / (last - first) : 0;
    let note: string | undefined;
    if (count < backlog) note = `partial: ${count}/${backlog} jobs in the time budget`;
    else {
      const left = await settle(system);
      if (left > 0) note = `${left} jobs not completed in storage after the drain`;
    }
    return { rate, note, reports, enqueueMs, dbUsPerJob: (dbMs * 1000) / Math.max(1, count) };
  });
}

export const drainProcesses: Workload = {
  id: 'drain-3proc',
  title: 'Drain of pre-enqueued jobs, 3 worker processes',
  run: async (spec, o) => {
    const { rate, note, dbUsPerJob } = await drainInChildren(spec, o, o.processes, o.jobs);
    const out: Measurement[] = [{ metric: `drain ${o.jobs}, ${o.processes} processes (c=${o.concurrency} each)`, value: rate, unit: 'jobs/s', better: 'higher', ...(note ? { note } : {}) }];
    if (spec.backend !== 'sqlite') out.push({ metric: `drain, ${o.processes} processes: database server CPU per job`, value: dbUsPerJob, unit: 'µs', better: 'lower' });
    return out;
  },
};

const MB = 1024 * 1024;

export const peakRss: Workload = {
  id: 'rss',
  title: 'Peak RSS of one worker process draining a backlog',
  optIn: true,
  run: async (spec, o) => {
    const out: Measurement[] = [];
    for (const backlog of o.rssBacklogs) {
      const label = backlog >= 1_000_000 ? `${backlog / 1_000_000}M` : `${backlog / 1000}k`;
      const { rate, note, reports, enqueueMs } = await drainInChildren(spec, { ...o, budgetMs: Math.max(o.budgetMs, 600_000) }, 1, backlog);
      const r = reports[0]!;
      const qualified = note ? { note } : {};
      out.push({ metric: `enqueue backlog ${label} (bulk calls of 10k)`, value: (backlog * 1000) / enqueueMs, unit: 'jobs/s', better: 'higher' });
      out.push({ metric: `peak RSS, backlog ${label}`, value: r.peakRss / MB, unit: 'MB', better: 'lower', ...qualified });
      out.push({ metric: `drain rate, backlog ${label}`, value: rate, unit: 'jobs/s', better: 'higher', ...qualified });
    }
    return out;
  },
};
