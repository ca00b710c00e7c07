import { defaultLogger } from '../config.js';
import { JobClient } from '../client/job-client.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MetricsSource } from '../server/health.js';
import type { MonitoringApi, Storage } from '../storage/contract/index.js';
import type { DashboardAuthorize } from './security.js';

/** Options of `createDashboard`. Every one has a default. */
export interface DashboardOptions {
  /**
   * What the pages read: any storage, or only its monitoring role (`MonitoringApi`, e.g. a
   * read-only replica's). Default: the client's storage, else `configure({ storage })`, else
   * `./kiln.db`.
   */
  storage?: MonitoringApi;
  /**
   * The client every action goes through (requeue, delete, recurring trigger/pause/...), so the
   * state machine and the client's filters see each change. Default: `new JobClient({ storage })`
   * when `storage` is a whole `Storage`; required when it is only a `MonitoringApi`, since
   * actions write.
   */
  client?: JobClient;
  /**
   * The path the dashboard is mounted under, e.g. `'/kiln'`; links are made under it. Default
   * `''` (the root). Express and Connect tell the middleware their mount path, so it is needed
   * there only when the middleware is `app.use`d without a path.
   */
  basePath?: string;
  /**
   * Who may see the dashboard. Replaces the default, which admits local requests only (see
   * `isLocalRequest`: loopback socket, loopback `Host`, no proxy headers). The argument tells
   * whether the default would have admitted the request, to combine both.
   */
  authorize?: DashboardAuthorize;
  /**
   * An access token (at least 16 characters): requests carrying it are admitted, in an
   * `Authorization: Bearer` header or the cookie a browser gets by opening a page once with
   * `?token=...`. When set, requests without it are refused unless `authorize` admits them. A
   * dashboard that listens on a non-loopback address or sits behind a proxy needs this or
   * `authorize`. Default none.
   */
  token?: string;
  /** Shows everything, offers no action, and refuses every POST with 403. Default false. */
  readOnly?: boolean;
  /** The name in the page header and title. Default `'Kiln'`. */
  title?: string;
  /** Jobs per page when the URL does not say. Default 20, as Hangfire. */
  pageSize?: number;
  /**
   * The key that signs anti-forgery tokens. Default: random per dashboard, so tokens die with the
   * process. Give the same secret (at least 16 bytes) to every instance behind a load balancer.
   */
  csrfSecret?: string;
  /**
   * Serves `GET /metrics` (Prometheus's text format) behind the dashboard's authorization:
   * `true` for the storage's gauges (jobs per state, queue depths and oldest waiting ages,
   * servers; `kilnjs/metrics`, loaded on the first scrape), or your `kilnMetrics()` or
   * prom-client `Registry` to serve those. Default false: no `/metrics`.
   */
  metrics?: boolean | MetricsSource;
  /** Where storage errors are reported. Default: `configure({ logger })`, else the console. */
  logger?: Logger;
}

export interface ResolvedDashboardOptions {
  /** The reads of every page and of the JSON API. */
  storage: MonitoringApi;
  client: JobClient;
  basePath: string;
  authorize: DashboardAuthorize | undefined;
  token: string | undefined;
  readOnly: boolean;
  title: string;
  pageSize: number;
  csrfSecret: string | undefined;
  metrics: false | true | MetricsSource;
  logger: Logger;
}

/** Validates the options and fills in the defaults. */
export function resolveDashboardOptions(o: DashboardOptions = {}): ResolvedDashboardOptions {
  if (typeof o !== 'object' || o === null) throw new ValidationError('options', 'must be an object');
  if (o.authorize !== undefined && typeof o.authorize !== 'function') throw new ValidationError('authorize', 'must be a function');
  if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < 16 || o.token.length > 1000 || /[\s;,]/.test(o.token))) {
    throw new ValidationError('token', 'must be a string of 16-1000 characters without spaces, commas or semicolons (a random one: crypto.randomBytes(24).toString("base64url"))');
  }
  if (o.metrics !== undefined && typeof o.metrics !== 'boolean' && typeof (o.metrics as Partial<MetricsSource> | null)?.metrics !== 'function') {
    throw new ValidationError('metrics', 'must be true, false, kilnMetrics() or a prom-client Registry');
  }
  const client = o.client ?? defaultClient(o.storage);
  const storage = o.storage ?? client.storage;
  const pageSize = o.pageSize ?? 20;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw new ValidationError('pageSize', `must be a whole number from 1 to 500, got ${String(pageSize)}`);
  }
  return {
    storage,
    client,
    basePath: normalizeBasePath(o.basePath ?? ''),
    authorize: o.authorize,
    token: o.token,
    readOnly: o.readOnly ?? false,
    title: typeof o.title === 'string' && o.title.length > 0 ? o.title : 'Kiln',
    pageSize,
    csrfSecret: o.csrfSecret,
    metrics: o.metrics ?? false,
    logger: o.logger ?? defaultLogger(),
  };
}

/** A client over the dashboard's storage, which must then be a whole `Storage`: actions write. */
function defaultClient(storage: MonitoringApi | undefined): JobClient {
  if (storage === undefined) return new JobClient();
  if (!isStorage(storage)) throw new ValidationError('client', 'is needed for the actions when storage is only a MonitoringApi');
  return new JobClient({ storage });
}

function isStorage(storage: MonitoringApi): storage is MonitoringApi & Storage {
  const s = storage as Partial<Storage>;
  return typeof s.transition === 'function' && typeof s.createJobs === 'function' && typeof s.migrate === 'function';
}

/** `'kiln/'` → `'/kiln'`, `'/'` → `''`. Rejects what could not be a path. */
export function normalizeBasePath(path: string): string {
  if (typeof path !== 'string' || /[?#\s\\]/.test(path)) throw new ValidationError('basePath', `must be a URL path, got ${JSON.stringify(path)}`);
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
