import { JobClient } from '../../client/job-client.js';
import { BackgroundJobServer } from '../../server/background-job-server.js';
import { text, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../exit.js';
import { importJobsModule } from '../jobs-module.js';

/** `kiln migrate`: create or upgrade the storage's schema (the one command besides `server` that creates). */
export const migrate: Command = {
  name: 'migrate',
  args: '',
  summary: "create or upgrade the storage's schema",
  details: 'Idempotent, and safe while servers run. The other commands never create a storage.',
  options: {},
  positionals: { min: 0, max: 0 },
  storage: 'create',
  async run({ storage }) {
    await storage();
    console.log('storage is up to date');
    return 0;
  },
};

/** `kiln server --jobs <module>`: a BackgroundJobServer until SIGINT/SIGTERM. */
export const server: Command = {
  name: 'server',
  args: '',
  summary: 'run a BackgroundJobServer for the jobs a module defines',
  details: [
    'Creates the storage if needed. SIGINT or SIGTERM stops it gracefully.',
    "A TypeScript module needs tsx: NODE_OPTIONS='--import tsx' npx kiln server --jobs ./jobs.ts",
  ].join('\n'),
  options: {
    jobs: { type: 'string', value: 'module', help: 'the module that defines your jobs with defineJob() (required)' },
    queues: { type: 'string', value: 'a,b', help: "queues to serve, highest priority first (default 'default')" },
    workers: { type: 'string', value: 'n', help: 'concurrent jobs, 1 to 1000 (default 20)' },
  },
  positionals: { min: 0, max: 0 },
  storage: 'create',
  long: true,
  async run({ values, storage, logger }) {
    const jobs = text(values, 'jobs');
    if (jobs === undefined) throw new UsageError('kiln server --jobs <module>: give the module that defines your jobs with defineJob()');
    const workerCount = wholeNumber(values, 'workers', 20, 1, 1000);
    const queues = text(values, 'queues')?.split(',').map((q) => q.trim());
    await importJobsModule(jobs);
    const s = new BackgroundJobServer({ storage: await storage(), logger, handleSignals: true, workerCount, ...(queues ? { queues } : {}) });
    await s.start();
    return 'running';
  },
};

/** `kiln dashboard`: the dashboard on its own HTTP server, on a storage that exists. */
export const dashboard: Command = {
  name: 'dashboard',
  args: '',
  summary: 'serve the dashboard',
  details: 'Local requests only. The storage must exist (start a server or run kiln migrate first).',
  options: {
    port: { type: 'string', value: 'n', help: 'port, 0 for any free one (default 4747)' },
    host: { type: 'string', value: 'address', help: 'address to listen on (default 127.0.0.1)' },
    'read-only': { type: 'boolean', help: 'show everything, allow no action' },
  },
  positionals: { min: 0, max: 0 },
  storage: 'existing',
  long: true,
  async run({ values, storage, logger }) {
    const port = wholeNumber(values, 'port', 4747, 0, 65_535);
    const host = text(values, 'host');
    const s = await storage();
    // Loaded here: the dashboard's HTTP stack is of no use to the other commands.
    const { startDashboard } = await import('../../dashboard/standalone.js');
    const running = await startDashboard({
      storage: s,
      client: new JobClient({ storage: s, logger }),
      logger,
      port,
      ...(host ? { host } : {}),
      ...(values['read-only'] ? { readOnly: true } : {}),
    }).catch((e: unknown) => {
      const code = (e as { code?: unknown } | null)?.code;
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
        throw new UsageError(`cannot listen on ${host ?? '127.0.0.1'}:${port} (${String(code)}): choose another --port or --host`);
      }
      throw e;
    });
    console.log(`Kiln dashboard on ${running.url} (Ctrl-C stops it)`);
    const stop = () => void running.close().then(() => s.close()).finally(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return 'running';
  },
};
