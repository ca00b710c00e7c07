import type { Hono } from 'hono';
import { DAY_MS, HOUR_MS } from '../../storage/buckets.js';
import type { Json, JobLogPage, StateName, StorageStatistics, TimelinePoint } from '../../storage/contract/index.js';
import type { DashboardDeps, DashboardEnv } from '../context.js';

/** `GET api/stats`: the statistics and when they were read; the overview polls it every 2 s. */
export interface StatsResponse extends StorageStatistics {
  at: number;
}

/** `GET api/history`: succeeded/failed per hour for the last 24 hours and per day for the last 7 days. */
export interface HistoryResponse {
  hours: TimelinePoint[];
  days: TimelinePoint[];
}

/**
 * `GET api/job/:id?after=N`: what the job page follows while the job may change: its state, its
 * progress, and its log lines after line `N` (default 0).
 */
export interface JobLiveResponse extends JobLogPage {
  state: StateName;
  progress: Json | null;
}

/** The JSON the overview's and the job page's scripts read. Same authorization as the pages; never cached. */
export function apiRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  const { storage } = d.options;

  app.get('/api/stats', async (c) => {
    const stats = await storage.statistics();
    const body: StatsResponse = { ...stats, at: Date.now() };
    return c.json(body);
  });

  app.get('/api/job/:id', async (c) => {
    const id = c.req.param('id');
    const after = c.req.query('after') ?? '0';
    if (!/^\d{1,15}$/.test(after)) return c.json({ error: 'after must be a line number' }, 400);
    const job = id.length > 0 && id.length <= 100 ? await storage.getJob(id) : null;
    if (!job) return c.json({ error: 'no such job' }, 404);
    const logs = await storage.jobLogs(id, { after: Number(after) });
    const body: JobLiveResponse = { state: job.state, progress: job.parameters['progress'] ?? null, ...logs };
    return c.json(body);
  });

  app.get('/api/history', async (c) => {
    const now = Date.now();
    const [hours, days] = await Promise.all([
      storage.timeline('hour', now - 23 * HOUR_MS, now),
      storage.timeline('day', now - 6 * DAY_MS, now),
    ]);
    const body: HistoryResponse = { hours, days };
    return c.json(body);
  });
}
