#!/usr/bin/env node
// The `kiln` command: run a server or the dashboard, migrate a storage, look at and act on jobs.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JobClient } from '../client/job-client.js';
import { startDashboard } from '../dashboard/standalone.js';
import { KilnError } from '../errors.js';
import { consoleLogger } from '../logger.js';
import { BackgroundJobServer } from '../server/background-job-server.js';
import { STATE_NAMES, type StateName } from '../storage/contract/index.js';
import { storageFromUrl } from './storage-url.js';

const USAGE = `kiln — background jobs for Node.js

Usage: kiln <command> [options]

Commands:
  server --jobs <module> [--queues a,b] [--workers 20]   run a BackgroundJobServer for the jobs the module defines
  dashboard [--port 4747] [--host 127.0.0.1] [--read-only]  serve the dashboard
  migrate                                   create or upgrade the storage's schema
  stats                                     counts per state and queue, servers
  jobs <state> [--queue q] [--search s] [--limit 20]   list jobs in a state
  show <id>                                 a job with its history
  requeue <id>...                           put jobs back in their queue
  delete <id>...                            delete jobs (a running one is aborted)
  recurring [list|trigger|pause|resume|remove] [id]

Every command takes --storage <url>: postgres://…, redis://…, sqlite:./file.db or a file path.
Default: $KILN_STORAGE, else ./kiln.db.`;

const logger = consoleLogger();

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      storage: { type: 'string' },
      jobs: { type: 'string' },
      queues: { type: 'string' },
      workers: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'read-only': { type: 'boolean' },
      queue: { type: 'string' },
      search: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const storage = storageFromUrl(values.storage, logger);
  const client = new JobClient({ storage, logger });
  const out = (value: unknown, text: () => string) => console.log(values.json ? JSON.stringify(value, null, 2) : text());
  const wholeNumber = (v: string | undefined, name: string, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new KilnError(`--${name} must be a whole number, got ${v}`);
    return n;
  };
  let keepOpen = false;
  try {
    switch (command) {
      case 'migrate':
        await storage.migrate();
        console.log('storage is up to date');
        return 0;
      case 'stats': {
        await client.ready();
        const [stats, queues, servers] = await Promise.all([storage.statistics(), storage.queues(), storage.listServers()]);
        out({ stats, queues, servers }, () =>
          [
            ...STATE_NAMES.map((s) => `${s.padEnd(11)} ${stats.states[s]}`),
            `succeeded in all: ${stats.succeededTotal}, failed attempts in all: ${stats.failedTotal}`,
            `queues: ${queues.map((q) => `${q.queue} (${q.enqueued} enqueued, ${q.processing} processing)`).join(', ') || 'none'}`,
            `servers: ${servers.map((s) => `${s.name} (${s.workerCount} workers)`).join(', ') || 'none'}`,
            `recurring jobs: ${stats.recurring}`,
          ].join('\n'),
        );
        return 0;
      }
      case 'jobs': {
        const state = rest[0] as StateName | undefined;
        if (!state || !STATE_NAMES.includes(state)) throw new KilnError(`kiln jobs <state>: state must be one of ${STATE_NAMES.join(', ')}`);
        await client.ready();
        const page = await storage.listJobs({
          state,
          offset: 0,
          limit: wholeNumber(values.limit, 'limit', 20),
          ...(values.queue ? { queue: values.queue } : {}),
          ...(values.search ? { search: values.search } : {}),
        });
        out(page, () => [`${page.total} ${state} job(s)`, ...page.jobs.map((j) => `${j.id}  ${j.name}  ${j.queue}  ${j.stateReason ?? ''}`)].join('\n'));
        return 0;
      }
      case 'show': {
        const job = await client.get(rest[0] ?? '');
        if (!job) throw new KilnError(`no job ${rest[0]}`);
        out(job, () =>
          [
            `${job.id}  ${job.name}  queue ${job.queue}  ${job.state}  attempt ${job.attempt}`,
            `args: ${job.args}`,
            ...job.history.map((h) => `  ${new Date(h.at).toISOString()}  ${h.name.padEnd(10)} ${h.reason ?? ''}`),
          ].join('\n'),
        );
        return 0;
      }
      case 'requeue':
      case 'delete': {
        if (rest.length === 0) throw new KilnError(`kiln ${command} <id>...: give at least one job id`);
        let failures = 0;
        for (const id of rest) {
          const ok = command === 'requeue' ? await client.requeue(id) : await client.delete(id);
          console.log(`${id}: ${ok ? `${command}d` : 'not changed (missing, or already in that state)'}`);
          if (!ok) failures++;
        }
        return failures === 0 ? 0 : 1;
      }
      case 'recurring': {
        const [action = 'list', id] = rest;
        if (action === 'list') {
          const list = await client.recurring.list();
          out(list, () =>
            list
              .map((r) => `${r.id}  ${r.cron} (${r.timeZone})  ${r.paused ? 'paused' : `next ${r.nextExecution ? new Date(r.nextExecution).toISOString() : '-'}`}  last ${r.lastJobState ?? '-'}`)
              .join('\n') || 'no recurring jobs',
          );
          return 0;
        }
        if (!id) throw new KilnError(`kiln recurring ${action} <id>: give the recurring job's id`);
        if (action === 'trigger') console.log(`enqueued job ${await client.recurring.trigger(id)}`);
        else if (action === 'pause' || action === 'resume' || action === 'remove') {
          const ok = await client.recurring[action](id);
          console.log(ok ? `${id}: ${action}d` : `${id}: no such recurring job`);
          return ok ? 0 : 1;
        } else throw new KilnError(`unknown recurring action ${action}: list, trigger, pause, resume or remove`);
        return 0;
      }
      case 'dashboard': {
        const running = await startDashboard({
          storage,
          client,
          port: wholeNumber(values.port, 'port', 4747),
          ...(values.host ? { host: values.host } : {}),
          ...(values['read-only'] ? { readOnly: true } : {}),
        });
        console.log(`Kiln dashboard on ${running.url} (Ctrl-C stops it)`);
        keepOpen = true;
        const stop = () => void running.close().then(() => storage.close()).finally(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        return 0;
      }
      case 'server': {
        if (!values.jobs) throw new KilnError('kiln server --jobs <module>: the module that defines your jobs with defineJob()');
        await import(pathToFileURL(resolve(values.jobs)).href);
        const server = new BackgroundJobServer({
          storage,
          logger,
          handleSignals: true,
          workerCount: wholeNumber(values.workers, 'workers', 20),
          ...(values.queues ? { queues: values.queues.split(',').map((q) => q.trim()) } : {}),
        });
        await server.start();
        keepOpen = true;
        return 0;
      }
      default:
        console.error(`unknown command ${command}\n\n${USAGE}`);
        return 1;
    }
  } finally {
    if (!keepOpen) await storage.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`kiln: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
