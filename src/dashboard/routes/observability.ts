import type { Hono } from 'hono';
import { checkStorage, publicHealth, singleFlight, type MetricsSource } from '../../server/health.js';
import type { DashboardDeps, DashboardEnv } from '../context.js';

/**
 * `GET healthz` and `GET readyz`, answered before authorization, for Kubernetes probes and load
 * balancers, which carry no token: `healthz` (liveness) is 200 whenever the dashboard answers;
 * `readyz` (readiness) is 200 when its storage answered within 1 s, else 503. Neither shows a
 * stored value or the storage's error text, and concurrent checks share one storage call.
 */
export function healthRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  const check = singleFlight(() => checkStorage(d.options.storage));
  const headers = { 'cache-control': 'no-store' };
  app.get('/healthz', (c) => c.json({ live: true }, 200, headers));
  app.get('/readyz', async (c) => {
    const { storage } = publicHealth({ storage: await check() });
    return c.json({ ready: storage.reachable, storage }, storage.reachable ? 200 : 503, headers);
  });
}

/**
 * `GET metrics` in Prometheus's text format, when the `metrics` option asks for it, behind the
 * same authorization as the pages (Prometheus sends the token as `authorization: Bearer`).
 * `metrics: true` loads `kilnjs/metrics` on the first scrape, over the dashboard's storage.
 */
export function metricsRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  const { metrics, storage, logger } = d.options;
  if (!metrics) return;
  let source: Promise<MetricsSource> | undefined;
  const load = (): Promise<MetricsSource> =>
    metrics === true ? (source ??= import('../../metrics/index.js').then((m) => m.kilnMetrics({ storage, logger }))) : Promise.resolve(metrics);
  app.get('/metrics', async (c) => {
    const m = await load();
    return c.body(await m.metrics(), 200, { 'content-type': m.contentType });
  });
}
