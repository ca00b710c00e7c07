import type { Hono } from 'hono';
import { DAY_MS, HOUR_MS } from '../../storage/buckets.js';
import type { StorageStatistics, TimelinePoint } from '../../storage/contract/index.js';
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

/** The JSON the overview's script reads. Same authorization as the pages; never cached. */
export function apiRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  const { storage } = d.options;

  app.get('/api/stats', async (c) => {
    const stats = await storage.statistics();
    const body: StatsResponse = { ...stats, at: Date.now() };
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
