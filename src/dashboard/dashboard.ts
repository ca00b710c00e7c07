import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { JobClient } from '../client/job-client.js';
import { nodeAdapters, type ConnectRequest, type FastifyReplyLike, type FastifyRequestLike, type NextFunction } from './adapters.js';
import { createApp } from './app.js';
import type { DashboardBindings } from './context.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';
import { queueControl } from './queue-control.js';
import { recurringControl } from './recurring-control.js';
import { CsrfTokens } from './security.js';

/** The dashboard, one implementation (Hono) behind the handler shapes of the common servers. */
export interface Dashboard {
  /**
   * The fetch API handler, for Hono, Bun, Deno and anything speaking `Request`/`Response`. Pass
   * Hono's `c.env` (or `{ incoming }`) as `env` on Node so the remote address is known: without a
   * socket the default authorization refuses every request.
   */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** A `node:http` / `node:https` / `node:http2` compat handler. */
  nodeHandler(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): Promise<void>;
  /** Express / Connect middleware; links follow the mount path (`app.use('/kiln', ...)`). */
  middleware(req: ConnectRequest, res: ServerResponse, next: NextFunction): void;
  /** A Fastify `onRequest` hook for the dashboard's routes (see docs/dashboard.md). */
  fastifyHook(request: FastifyRequestLike, reply: FastifyReplyLike): Promise<void>;
  /** The normalized mount path (`''` for the root). */
  readonly basePath: string;
  /** The client actions go through. */
  readonly client: JobClient;
  readonly readOnly: boolean;
}

function incomingOf(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const incoming = (env as { incoming?: unknown }).incoming;
  if (typeof incoming !== 'object' || incoming === null || !('socket' in incoming)) return undefined;
  return incoming as IncomingMessage;
}

/**
 * Creates the dashboard over a storage: pages, JSON for the charts, and actions through
 * `JobClient`. It reads only the monitoring part of the storage contract, so it works with every
 * backend. Secure by default: local requests only, anti-forgery tokens on every POST, every
 * stored value escaped, a strict Content-Security-Policy.
 *
 * @example
 * const dashboard = createDashboard({ storage, basePath: '/kiln' });
 * http.createServer((req, res) => req.url?.startsWith('/kiln') ? dashboard.nodeHandler(req, res) : app(req, res));
 */
export function createDashboard(options: DashboardOptions = {}): Dashboard {
  const resolved = resolveDashboardOptions(options);
  const app = createApp({
    options: resolved,
    tokens: new CsrfTokens(resolved.csrfSecret),
    recurring: recurringControl(resolved.client),
    queues: queueControl(resolved.client),
  });
  const appFetch = async (request: Request, bindings: DashboardBindings): Promise<Response> => app.fetch(request, bindings);
  const node = nodeAdapters(appFetch, resolved.basePath);
  return {
    fetch: (request, env) => appFetch(request, { incoming: incomingOf(env), base: resolved.basePath, relative: false }),
    nodeHandler: node.nodeHandler,
    middleware: node.middleware,
    fastifyHook: node.fastifyHook,
    basePath: resolved.basePath,
    client: resolved.client,
    readOnly: resolved.readOnly,
  };
}
