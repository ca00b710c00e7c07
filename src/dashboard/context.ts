import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { StorageStatistics } from '../storage/contract/index.js';

/** What every request carries into the Hono app, set by the adapters. */
export interface DashboardBindings {
  /** The Node request, when there is one: its socket gives the remote address. */
  incoming: IncomingMessage | undefined;
  /** The mount path links are made under, `''` for the root. */
  base: string;
  /** True when the URL's path is already relative to `base` (Express and Connect strip it). */
  relative: boolean;
}

/** What the middleware hands the pages. */
export interface PageContext {
  base: string;
  /** The anti-forgery token of this browser, for the forms. */
  csrfToken: string;
  readOnly: boolean;
  title: string;
  now: number;
  /** Whether the client offers trigger/pause/resume/remove of recurring jobs. */
  recurringActions: boolean;
  /** For the navigation's counters; loaded once per page. */
  stats?: StorageStatistics;
}

export interface DashboardEnv {
  Bindings: DashboardBindings;
  Variables: { page: PageContext };
}

export type Ctx = Context<DashboardEnv>;

/** A query string value: absent, one value, or several. */
export type QueryValue = string | number | undefined | null;

/** A link inside the dashboard: `base + path`, with the query's set values, encoded. */
export function href(base: string, path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ''}`;
}

/** The path of a request relative to the dashboard's mount path, for Hono's router. */
export function routePath(request: Request, env: DashboardBindings | undefined): string {
  const url = request.url;
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start === -1) return '/';
  const end = url.search(/[?#]/);
  let path = end === -1 || end < start ? url.slice(start) : url.slice(start, end);
  const base = env?.base ?? '';
  if (base && !env?.relative && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length);
  return path === '' ? '/' : path;
}

/** What the routes share: the resolved options, the token maker, the recurring and queue actions. */
export interface DashboardDeps {
  options: import('./options.js').ResolvedDashboardOptions;
  tokens: import('./security.js').CsrfTokens;
  recurring: import('./recurring-control.js').RecurringControl | undefined;
  queues: import('./queue-control.js').QueueControl | undefined;
}
