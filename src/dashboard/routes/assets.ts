import type { Hono } from 'hono';
import { asset, isAssetName } from '../assets/assets.js';
import type { DashboardEnv } from '../context.js';

/**
 * The static files: `app.js`, `style.css` and Chart.js's UMD build. A URL with the current
 * version (`?v=`) is cached for a year; any other is revalidated.
 */
export function assetRoutes(app: Hono<DashboardEnv>): void {
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    if (!isAssetName(name)) return c.notFound();
    const a = asset(name);
    const etag = `"${a.version}"`;
    const headers: Record<string, string> = {
      'content-type': a.contentType,
      etag,
      'cache-control': c.req.query('v') === a.version ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(a.body, 200, headers);
  });
}
