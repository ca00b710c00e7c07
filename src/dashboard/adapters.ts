import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { getRequestListener } from '@hono/node-server';
import type { DashboardBindings } from './context.js';

/** Runs the dashboard's Hono app for one request with the given bindings. */
export type AppFetch = (request: Request, bindings: DashboardBindings) => Response | Promise<Response>;

/** A Node request as Express and Connect hand it to middleware. */
export interface ConnectRequest extends IncomingMessage {
  /** Express: the path the middleware is mounted on. */
  baseUrl?: string;
  /** Express and Connect: the URL before the mount path was stripped from `url`. */
  originalUrl?: string;
  /** A body parsed by `express.urlencoded()` or body-parser before the dashboard saw it. */
  body?: unknown;
}

export type NextFunction = (error?: unknown) => void;

/** The parts of Fastify's request and reply the hook uses (Fastify itself is not a dependency). */
export interface FastifyRequestLike {
  raw: IncomingMessage;
}
export interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}

/**
 * A mount path taken from the request (Express's `baseUrl`, Connect's `originalUrl`) is used in
 * links and redirects only when it is plain segments: never `//host`, a backslash or a space,
 * which could turn a redirect into one to another site.
 */
const SAFE_BASE = /^(\/[^/\\\s?#]+)+$/;

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.search(/[?#]/);
  return q === -1 ? u : u.slice(0, q);
}

function under(path: string, base: string): boolean {
  return base === '' || path === base || path.startsWith(`${base}/`);
}

/**
 * Node's `(req, res)` handlers, built on `@hono/node-server`'s request listener, without replacing
 * the process's global `Request`/`Response` (that is the host application's choice to make).
 */
export function nodeAdapters(appFetch: AppFetch, basePath: string) {
  const bindings = new WeakMap<object, DashboardBindings>();
  const listener = getRequestListener(
    (request, env) => appFetch(request, bindings.get(env.incoming) ?? { incoming: env.incoming as IncomingMessage, base: basePath, relative: false }),
    { overrideGlobalObjects: false },
  );

  /**
   * A plain `node:http` handler. Serves every request it is given, with links under `basePath`
   * (requests are expected at `basePath/...`; a path without it is taken as relative).
   */
  async function nodeHandler(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): Promise<void> {
    await listener(req, res);
  }

  /** Where an Express/Connect request sits: its mount path, or null when it is not the dashboard's. */
  function mountOf(req: ConnectRequest): DashboardBindings | null {
    const path = pathOf(req.url);
    const baseUrl = typeof req.baseUrl === 'string' ? req.baseUrl.replace(/\/+$/, '') : '';
    if (baseUrl !== '') return SAFE_BASE.test(baseUrl) ? { incoming: req, base: baseUrl, relative: true } : null;
    if (typeof req.originalUrl === 'string' && req.originalUrl !== req.url) {
      const original = pathOf(req.originalUrl);
      let base = '';
      if (original.endsWith(path) && original.length > path.length) base = original.slice(0, original.length - path.length);
      else if (path === '/') base = original;
      base = base.replace(/\/+$/, '');
      if (base !== '') return SAFE_BASE.test(base) ? { incoming: req, base, relative: true } : null;
    }
    if (!under(path, basePath)) return null;
    return { incoming: req, base: basePath, relative: false };
  }

  /**
   * Express and Connect middleware: `app.use('/kiln', dashboard.middleware)` (the mount path is
   * read from `req.baseUrl`/`req.originalUrl`), or `app.use(dashboard.middleware)` with
   * `basePath`, passing other paths to `next()`. Works after a body parser too.
   */
  function middleware(req: ConnectRequest, res: ServerResponse, next: NextFunction): void {
    let mount: DashboardBindings | null;
    try {
      mount = mountOf(req);
    } catch (error) {
      next(error);
      return;
    }
    if (mount === null) {
      next();
      return;
    }
    const method = req.method ?? 'GET';
    const done = method !== 'GET' && method !== 'HEAD' && req.readableEnded && typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)
      ? respondParsed(appFetch, req, res, mount)
      : (bindings.set(req, mount), listener(req, res));
    done.catch(next);
  }

  /**
   * A Fastify `onRequest` hook for the dashboard's routes: it takes the raw request before Fastify
   * parses the body (Fastify would refuse the dashboard's form posts), and answers it itself.
   */
  async function fastifyHook(request: FastifyRequestLike, reply: FastifyReplyLike): Promise<void> {
    reply.hijack();
    await listener(request.raw, reply.raw);
  }

  return { nodeHandler, middleware, fastifyHook };
}

/**
 * Serves a request whose body a body parser already read: the fetch request is rebuilt from
 * `req.body` (a urlencoded form is all the dashboard accepts), and the response written by hand.
 */
async function respondParsed(appFetch: AppFetch, req: ConnectRequest, res: ServerResponse, mount: DashboardBindings): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'content-length' || name === 'transfer-encoding' || name.startsWith(':')) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(req.body as Record<string, unknown>)) {
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') form.append(key, v);
  }
  headers.set('content-type', 'application/x-www-form-urlencoded');
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const request = new Request(url, { method: req.method ?? 'POST', headers, body: form.toString() });
  const response = await appFetch(request, mount);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}
