import type { Hono } from 'hono';
import { errorMessage } from '../../errors.js';
import { STATE_NAMES, type MonitoringApi, type QueueSettings, type QueueStatistics, type StateName } from '../../storage/contract/index.js';
import { limitsOf } from '../job-limits.js';
import type { Ctx, DashboardDeps, DashboardEnv } from '../context.js';
import type { Html } from '../views/html.js';
import { jobDetails, jobMissing } from '../views/job-details.js';
import { jobList } from '../views/jobs.js';
import { layout, type LayoutOptions } from '../views/layout.js';
import { overview } from '../views/overview.js';
import { queuesPage } from '../views/queues.js';
import { recurringPage } from '../views/recurring.js';
import { notFoundPage } from '../views/not-found.js';
import { serverNames, serversPage } from '../views/servers.js';
import { flashOf, paging, queryText } from './query.js';

/** Renders a page in the frame, with the navigation counters loaded once. */
async function render(c: Ctx, d: DashboardDeps, o: Omit<LayoutOptions, 'flash'>, content: (page: Ctx['var']['page']) => Html, status: 200 | 404 = 200) {
  const page = c.get('page');
  page.stats ??= await d.options.storage.statistics();
  return c.html(layout(page, { ...o, flash: flashOf(c) }, content(page)), status);
}

/**
 * The queues with their counts, then the queues running servers serve and the queues with
 * settings (paused or limited), with zero counts: the storage counts a queue only while it holds
 * jobs, and an empty queue a server waits on, or one paused ahead of time, is still a queue
 * people look for.
 */
async function knownQueues(storage: MonitoringApi, settings: QueueSettings[] = []): Promise<QueueStatistics[]> {
  const [queues, servers] = await Promise.all([storage.queues(), storage.listServers()]);
  const seen = new Set(queues.map((q) => q.queue));
  const named = [...servers.flatMap((s) => s.queues), ...settings.map((s) => s.queue)];
  const idle = [...new Set(named)].filter((q) => !seen.has(q)).sort();
  return [...queues, ...idle.map((queue) => ({ queue, enqueued: 0, processing: 0 }))].sort((a, b) => (a.queue < b.queue ? -1 : 1));
}

/** How many limits the Queues page lists. */
const LIMITS_SHOWN = 100;

/** The HTML pages: overview, jobs by state, retries, job details, recurring, servers, queues. */
export function pageRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  const { storage } = d.options;

  app.get('/', async (c) => {
    const [stats, queues] = await Promise.all([storage.statistics(), knownQueues(storage)]);
    c.get('page').stats = stats;
    return render(c, d, { title: 'Overview', section: 'overview', charts: true }, (page) => overview(page, stats, queues));
  });

  app.get('/jobs', (c) => c.redirect(`${c.get('page').base}/jobs/enqueued`, 302));

  app.get('/jobs/:state', async (c) => {
    const state = c.req.param('state') as StateName;
    if (!STATE_NAMES.includes(state)) return notFound(c, d);
    const p = paging(c, d.options.pageSize);
    const filter = { search: queryText(c, 'search'), name: queryText(c, 'name'), queue: queryText(c, 'queue') };
    const [result, queues, servers] = await Promise.all([
      storage.listJobs({ state, ...filter, offset: p.offset, limit: p.size }),
      knownQueues(storage),
      state === 'processing' ? storage.listServers() : [],
    ]);
    const names = queues.map((q) => q.queue);
    if (filter.queue && !names.includes(filter.queue)) names.push(filter.queue);
    return render(c, d, { title: `${state} jobs`, section: 'jobs' }, (page) =>
      jobList(page, {
        kind: state,
        jobs: result.jobs,
        paging: { page: p.page, size: p.size, total: result.total },
        filter,
        queues: names,
        servers: serverNames(servers),
      }),
    );
  });

  app.get('/retries', async (c) => {
    const p = paging(c, d.options.pageSize);
    const search = queryText(c, 'search');
    const result = await storage.listJobs({ state: 'scheduled', retriesOnly: true, search, offset: p.offset, limit: p.size });
    return render(c, d, { title: 'Retries', section: 'retries' }, (page) =>
      jobList(page, {
        kind: 'retries',
        jobs: result.jobs,
        paging: { page: p.page, size: p.size, total: result.total },
        filter: { search },
        queues: [],
      }),
    );
  });

  app.get('/job/:id', async (c) => {
    const id = c.req.param('id');
    const job = id.length > 0 && id.length <= 100 ? await storage.getJob(id) : null;
    if (!job) return render(c, d, { title: 'Job not found', section: 'jobs' }, (page) => jobMissing(page, id), 404);
    const [servers, logs, limits] = await Promise.all([
      storage.listServers(),
      // A storage that cannot read the log still shows the job.
      storage.jobLogs(id, {}).catch((e: unknown) => ({ error: errorMessage(e) })),
      limitsOf(storage, job),
    ]);
    return render(c, d, { title: `Job ${job.name}`, section: 'jobs' }, (page) => jobDetails(page, job, serverNames(servers), logs, limits));
  });

  app.get('/recurring', async (c) => {
    const p = paging(c, d.options.pageSize);
    const search = queryText(c, 'search')?.toLowerCase();
    const all = await storage.listRecurring();
    const matching = search ? all.filter((r) => r.id.toLowerCase().includes(search) || r.name.toLowerCase().includes(search)) : all;
    const shown = matching.slice(p.offset, p.offset + p.size);
    const lastIds = [...new Set(shown.map((r) => r.lastJobId).filter((id): id is string => id !== null))];
    const lastJobs = await Promise.all(lastIds.map((id) => storage.getJob(id)));
    const lastStates = new Map<string, StateName>();
    for (const j of lastJobs) if (j) lastStates.set(j.id, j.state);
    return render(c, d, { title: 'Recurring jobs', section: 'recurring' }, (page) =>
      recurringPage(page, { jobs: shown, lastStates, paging: { page: p.page, size: p.size, total: matching.length }, search: queryText(c, 'search') }),
    );
  });

  app.get('/servers', async (c) => {
    const servers = await storage.listServers();
    return render(c, d, { title: 'Servers', section: 'servers' }, (page) => serversPage(page, servers));
  });

  app.get('/queues', async (c) => {
    const settings = await storage.queueSettings();
    const [queues, limits] = await Promise.all([
      knownQueues(storage, settings),
      storage.limitUsage({ now: Date.now(), offset: 0, limit: LIMITS_SHOWN }),
    ]);
    return render(c, d, { title: 'Queues', section: 'queues' }, (page) =>
      queuesPage(page, {
        queues,
        settings: new Map(settings.map((s) => [s.queue, s])),
        limits: limits.limits,
        total: limits.total,
        canAct: d.queues !== undefined,
      }),
    );
  });

  // Registered last: every other GET of the dashboard is matched before it.
  app.get('*', (c) => notFound(c, d));
}

/** A 404 in the dashboard's frame, with the way back. */
function notFound(c: Ctx, d: DashboardDeps) {
  return render(c, d, { title: 'Page not found', section: 'overview' }, (page) => notFoundPage(page, c.req.path), 404);
}
