import { JobClient } from '../../client/job-client.js';
import { BackgroundJobServer } from '../../server/background-job-server.js';
import { serveHealth, type RunningHealthEndpoint } from '../../server/health-endpoint.js';
import type { MetricsSource } from '../../server/health.js';
import { text, wholeNumber } from '../args.js';
import type { Command } from '../command.js';
import { ValidationError } from '../../errors.js';
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
    'With --health-port: GET /healthz (liveness), /readyz (readiness), and /metrics with --metrics.',
  ].join('\n'),
  options: {
    jobs: { type: 'string', value: 'module', help: 'the module that defines your jobs with defineJob() (required)' },
    queues: { type: 'string', value: 'a,b', help: "queues to serve, highest priority first (default 'default')" },
    workers: { type: 'string', value: 'n', help: 'concurrent jobs, 1 to 1000 (default 20)' },
    'health-port': { type: 'string', value: 'n', help: 'serve /healthz and /readyz on this port, for Kubernetes probes (0: any free port)' },
    'health-host': { type: 'string', value: 'address', help: 'address the health port listens on (default 0.0.0.0, as probes reach the pod address)' },
    metrics: { type: 'boolean', help: 'also serve Prometheus metrics at /metrics on the health port' },
  },
  positionals: { min: 0, max: 0 },
  storage: 'create',
  long: true,
  async run({ values, storage, logger }) {
    const jobs = text(values, 'jobs');
    if (jobs === undefined) throw new UsageError('kiln server --jobs <module>: give the module that defines your jobs with defineJob()');
    const workerCount = wholeNumber(values, 'workers', 20, 1, 1000);
    const queues = text(values, 'queues')?.split(',').map((q) => q.trim());
    const healthPort = values['health-port'] === undefined ? undefined : wholeNumber(values, 'health-port', 0, 0, 65_535);
    const healthHost = text(values, 'health-host');
    if (healthPort === undefined && (values['metrics'] || healthHost !== undefined)) {
      throw new UsageError(`kiln server: ${values['metrics'] ? '--metrics' : '--health-host'} needs --health-port <n>, the port that serves it`);
    }
    await importJobsModule(jobs);
    // Loaded only when asked: prom-client is of no use to a server without metrics.
    const metrics = values['metrics'] ? (await import('../../metrics/index.js')).kilnMetrics({ logger }) : undefined;
    const s = new BackgroundJobServer({
      storage: await storage(),
      logger,
      handleSignals: true,
      workerCount,
      ...(queues ? { queues } : {}),
      ...(metrics ? { observers: [metrics] } : {}),
    });
    // Listening first: a port in use is found before the server starts, and liveness answers while it starts.
    const endpoint = healthPort === undefined ? undefined : await listenForHealth(s, healthPort, healthHost, metrics);
    try {
      await s.start();
    } catch (e) {
      await endpoint?.close();
      throw e;
    }
    if (endpoint) console.log(`Kiln server health on ${endpoint.url}/healthz and /readyz${metrics ? ', metrics on /metrics' : ''}`);
    return 'running';
  },
};

async function listenForHealth(server: BackgroundJobServer, port: number, host: string | undefined, metrics: MetricsSource | undefined): Promise<RunningHealthEndpoint> {
  try {
    return await serveHealth({ server, port, ...(host ? { host } : {}), ...(metrics ? { metrics } : {}) });
  } catch (e) {
    throw listenError(e, host ?? '0.0.0.0', port, '--health-port or --health-host');
  }
}

/** A port in use or an address this machine lacks is bad input, said with the options to change. */
function listenError(e: unknown, host: string, port: number, options: string): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') {
    return new UsageError(`cannot listen on ${host}:${port} (${String(code)}): choose another ${options}`);
  }
  return e;
}

/** `kiln dashboard`: the dashboard on its own HTTP server, on a storage that exists. */
export const dashboard: Command = {
  name: 'dashboard',
  args: '',
  summary: 'serve the dashboard',
  details: [
    'Local requests only, unless a token is given: then requests carrying it are admitted from anywhere',
    '(Authorization: Bearer <token>, or open any page once with ?token=<token>), and --host 0.0.0.0 is allowed.',
    'Prefer KILN_DASHBOARD_TOKEN to --token: a command line is visible to every user of the machine.',
    'GET /healthz and /readyz answer without the token (for probes). The storage must exist (start a',
    'server or run kiln migrate first).',
  ].join('\n'),
  options: {
    port: { type: 'string', value: 'n', help: 'port, 0 for any free one (default 4747)' },
    host: { type: 'string', value: 'address', help: 'address to listen on (default 127.0.0.1; 0.0.0.0 in a container, with a token)' },
    token: { type: 'string', value: 'token', help: 'admit requests carrying this token, 16+ characters (default $KILN_DASHBOARD_TOKEN)' },
    'read-only': { type: 'boolean', help: 'show everything, allow no action' },
    metrics: { type: 'boolean', help: "serve the storage's Prometheus metrics at /metrics (behind the same authorization)" },
  },
  positionals: { min: 0, max: 0 },
  storage: 'existing',
  long: true,
  async run({ values, storage, logger }) {
    const port = wholeNumber(values, 'port', 4747, 0, 65_535);
    const host = text(values, 'host');
    const token = dashboardToken(text(values, 'token'));
    const s = await storage();
    // Loaded here: the dashboard's HTTP stack is of no use to the other commands.
    const { startDashboard } = await import('../../dashboard/standalone.js');
    const running = await startDashboard({
      storage: s,
      client: new JobClient({ storage: s, logger }),
      logger,
      port,
      ...(host ? { host } : {}),
      ...(token ? { token } : {}),
      ...(values['read-only'] ? { readOnly: true } : {}),
      ...(values['metrics'] ? { metrics: true } : {}),
    }).catch((e: unknown) => {
      if (e instanceof ValidationError && e.field === 'host') {
        throw new UsageError(`kiln dashboard: --host ${host} is not a loopback address: give a token (KILN_DASHBOARD_TOKEN or --token) so that requests from elsewhere can be admitted`);
      }
      throw listenError(e, host ?? '127.0.0.1', port, '--port or --host');
    });
    console.log(`Kiln dashboard on ${running.url} (Ctrl-C stops it)`);
    const stop = () => void running.close().then(() => s.close()).finally(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return 'running';
  },
};

/**
 * The dashboard's access token: `--token`, else `KILN_DASHBOARD_TOKEN`; checked here, so a bad one
 * is a usage error naming where it came from.
 */
function dashboardToken(option: string | undefined): string | undefined {
  const fromEnv = process.env['KILN_DASHBOARD_TOKEN'];
  const token = option ?? (fromEnv === '' ? undefined : fromEnv);
  if (token === undefined) return undefined;
  const where = option !== undefined ? '--token' : 'KILN_DASHBOARD_TOKEN';
  if (token.length < 16 || token.length > 1000 || /[\s;,]/.test(token)) {
    throw new UsageError(`kiln dashboard: ${where} must be 16 to 1000 characters without spaces, commas or semicolons (make one: openssl rand -base64 24)`);
  }
  return token;
}
