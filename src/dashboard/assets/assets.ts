import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { APP_JS } from './app-js.js';
import { STYLE_CSS } from './style-css.js';

export type AssetName = 'app.js' | 'style.css' | 'chart.umd.min.js';

export interface Asset {
  body: string;
  contentType: string;
  /** A short hash of the body, put in the asset's URL so it can be cached for a year. */
  version: string;
}

const assets = new Map<AssetName, Asset>();

function make(body: string, contentType: string): Asset {
  return { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

/**
 * Chart.js's UMD build, read once from the installed `chart.js` package (a dependency of Kiln),
 * never from a CDN. Resolved through Node's resolver so it works from `src/` and from `dist/`.
 */
function chartJs(): string {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

/** A static asset by name, loaded on first use. */
export function asset(name: AssetName): Asset {
  let a = assets.get(name);
  if (!a) {
    if (name === 'app.js') a = make(APP_JS, 'text/javascript; charset=utf-8');
    else if (name === 'style.css') a = make(STYLE_CSS, 'text/css; charset=utf-8');
    else a = make(chartJs(), 'text/javascript; charset=utf-8');
    assets.set(name, a);
  }
  return a;
}

export function isAssetName(name: string): name is AssetName {
  return name === 'app.js' || name === 'style.css' || name === 'chart.umd.min.js';
}

/** The URL path of an asset below the dashboard's base, with its version. */
export function assetPath(name: AssetName): string {
  return `/assets/${name}?v=${asset(name).version}`;
}
