import { Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { html } from 'hono/html';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { routePath, type Ctx, type DashboardDeps, type DashboardEnv } from './context.js';
import { actionRoutes, queueActionRoutes } from './routes/actions.js';
import { apiRoutes } from './routes/api.js';
import { healthRoutes, metricsRoutes } from './routes/observability.js';
import { assetRoutes } from './routes/assets.js';
import { pageRoutes } from './routes/pages.js';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { AccessToken, CONTENT_SECURITY_POLICY, isLocalRequest, listeningAddress, proxyHeaderOf } from './security.js';

/** The anti-forgery cookie. HttpOnly and SameSite=Strict; its path is the dashboard's. */
export const CSRF_COOKIE = 'kiln_csrf';
/** The form field, or header for scripts, that carries the anti-forgery token. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-kiln-csrf';
/** The cookie that carries the access token (see `DashboardOptions.token`) once a browser gave it in the query. */
export const TOKEN_COOKIE = 'kiln_token';
/** The largest action body accepted: 1000 ids fit in well under this. */
const MAX_BODY_BYTES = 256 * 1024;

function forbidden(message: string) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Forbidden</title></head><body><h1>403 Forbidden</h1><p>${message}</p></body></html>`;
}

/**
 * Refuses a POST body over `MAX_BODY_BYTES` with 413. A body without a length (chunked) is read
 * here, up to the limit, and the request rebuilt around it: Hono's `bodyLimit` rebuilds it with
 * `new Request(request)`, which the light request of `@hono/node-server` does not survive (a
 * chunked POST answered 500).
 */
const limitBody: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  const raw = c.req.raw;
  const tooLarge = () => c.text('Payload too large', 413);
  if (!raw.body) return next();
  const length = raw.headers.get('content-length');
  if (length !== null && !raw.headers.has('transfer-encoding')) return Number(length) > MAX_BODY_BYTES ? tooLarge() : next();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = raw.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  const headers = new Headers(raw.headers);
  headers.delete('transfer-encoding');
  headers.set('content-length', String(size));
  c.req.raw = new Request(raw.url, { method: raw.method, headers, body: Buffer.concat(chunks) });
  await next();
};

/** Sets the token cookie and sends the browser to the same page without the token in its address. */
function tokenRedirect(c: Ctx, token: string): Response {
  const base = c.env?.base ?? '';
  const url = new URL(c.req.url);
  url.searchParams.delete('token');
  setCookie(c, TOKEN_COOKIE, token, { path: base || '/', httpOnly: true, sameSite: 'Lax', secure: url.protocol === 'https:' });
  return c.redirect(`${base}${routePath(c.req.raw, c.env)}${url.search}`, 303);
}

/**
 * The dashboard as one Hono app; routes are relative to the mount path, which the adapters pass
 * in the bindings (`base`). Order of the middleware: security headers on every response, then
 * authorization (nothing, not even a static file, is served to a refused request), then the
 * anti-forgery cookie and the page context, then read-only and token checks on every POST.
 */
export function createApp(d: DashboardDeps): Hono<DashboardEnv> {
  const { options, tokens } = d;
  const app = new Hono<DashboardEnv>({ getPath: (request, o) => routePath(request, o?.env as DashboardEnv['Bindings'] | undefined) });

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: Object.fromEntries(Object.entries(CONTENT_SECURITY_POLICY).map(([k, v]) => [k, [...v]])),
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      // HSTS is the business of whatever terminates TLS in front of the application, not of a
      // dashboard that is usually reached over plain http on localhost.
      strictTransportSecurity: false,
      xXssProtection: '0',
    }),
  );

  // Probes carry no token: health answers before authorization, and shows no stored value.
  healthRoutes(app, d);

  const accessToken = options.token === undefined ? undefined : new AccessToken(options.token);
  /** The first proxy header this dashboard saw: from then on the local-only rule admits nobody. */
  let proxySeen: string | undefined;

  // Authorization: the token, else `authorize`, else local requests only (see docs/dashboard.md).
  app.use('*', async (c, next) => {
    const incoming = c.env?.incoming;
    const remoteAddress = incoming?.socket?.remoteAddress;
    const proxy = proxyHeaderOf(c.req.raw);
    if (proxy !== undefined && proxySeen === undefined) {
      proxySeen = proxy;
      if (!options.authorize && !accessToken) {
        options.logger.warn(
          `The dashboard received a request relayed by a proxy (${proxy} header): it refuses every request from now on, as a same-host proxy makes the whole internet look local. Pass authorize or token.`,
        );
      }
    }
    const isLocal = proxySeen === undefined && isLocalRequest(c.req.raw, remoteAddress, listeningAddress(incoming));
    let allowed = false;
    if (accessToken) {
      const given = AccessToken.of(c.req.raw, getCookie(c, TOKEN_COOKIE));
      allowed = accessToken.matches(given.value);
      if (allowed && given.fromQuery && c.req.method === 'GET') return tokenRedirect(c, given.value!);
    }
    if (!allowed && options.authorize) {
      try {
        allowed = (await options.authorize({ request: c.req.raw, remoteAddress, incoming, isLocal })) === true;
      } catch (error) {
        options.logger.error('Dashboard authorize() threw; the request is refused', { error: errorMessage(error) });
        allowed = false;
      }
    } else if (!allowed && !accessToken) allowed = isLocal;
    if (!allowed) {
      const why =
        options.authorize || accessToken
          ? 'You are not allowed to see this dashboard.'
          : 'The Kiln dashboard answers local requests only (loopback address and host, listening on the loopback, no proxy). Pass `authorize` or `token` to open it to others.';
      return c.html(forbidden(why), 403, { 'cache-control': 'no-store' });
    }
    await next();
  });

  app.use('*', async (c, next) => {
    const base = c.env?.base ?? '';
    let nonce = getCookie(c, CSRF_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) {
      nonce = tokens.newNonce();
      setCookie(c, CSRF_COOKIE, nonce, {
        path: base || '/',
        httpOnly: true,
        sameSite: 'Strict',
        secure: new URL(c.req.url).protocol === 'https:',
      });
    }
    c.set('page', {
      base,
      csrfToken: tokens.tokenFor(nonce),
      readOnly: options.readOnly,
      title: options.title,
      now: Date.now(),
      recurringActions: d.recurring !== undefined,
    });
    await next();
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });

  // Every POST: refused in read-only mode; else the Origin / Sec-Fetch-Site check (Hono's csrf,
  // defence in depth for browsers that send them), then the signed double-submit token.
  app.post('*', async (c, next) => {
    if (options.readOnly) return c.html(forbidden('This dashboard is read-only.'), 403);
    await next();
  });
  app.post('*', limitBody);
  app.post('*', csrf());
  app.post('*', async (c, next) => {
    let token = c.req.header(CSRF_HEADER);
    if (token === undefined) {
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
        const form = await c.req.parseBody({ all: true });
        const v = form[CSRF_FIELD];
        token = typeof v === 'string' ? v : undefined;
      }
    }
    if (!tokens.verify(getCookie(c, CSRF_COOKIE), token)) {
      return c.html(forbidden('The anti-forgery token is missing or invalid. Reload the page and try again.'), 403);
    }
    await options.client.ready();
    await next();
  });

  app.use('*', async (c, next) => {
    if (!c.req.path.startsWith('/assets/')) await options.client.ready();
    await next();
  });

  assetRoutes(app);
  apiRoutes(app, d);
  metricsRoutes(app, d);
  pageRoutes(app, d);
  actionRoutes(app, d);
  queueActionRoutes(app, d);

  app.notFound((c) =>
    c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><h1>404 Not found</h1><p><a href="${(c.env?.base ?? '') + '/'}">Overview</a></p></body></html>`, 404),
  );
  // The browser sees a reference, never the error's text (it may hold connection strings, SQL,
  // stored values); the log has both.
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    const reference = randomBytes(6).toString('hex');
    options.logger.error('Dashboard request failed', { path: c.req.path, reference, error: errorMessage(error) });
    return c.html(
      html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>500 The dashboard failed</h1><p>The error is in the server's log, under reference ${reference}.</p></body></html>`,
      500,
      { 'cache-control': 'no-store' },
    );
  });
  return app;
}
