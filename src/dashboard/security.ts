import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What `authorize` is given: the request, the socket's remote address when the dashboard runs
 * on Node's HTTP server (`undefined` on a bare fetch runtime), the Node request itself (an
 * Express/Fastify app finds its session or user on it), and whether the default rule would
 * have let the request in.
 */
export interface DashboardRequest {
  request: Request;
  remoteAddress: string | undefined;
  incoming: IncomingMessage | undefined;
  /** The default rule's verdict: see `isLocalRequest` (false, too, once a proxy header was seen). */
  isLocal: boolean;
}

/** Decides whether a request may see the dashboard (and act, unless read-only). */
export type DashboardAuthorize = (request: DashboardRequest) => boolean | Promise<boolean>;

/**
 * Headers a reverse proxy or CDN adds when it relays a request: RFC 7239's `Forwarded`, `Via`,
 * every `X-Forwarded-*`, and the client-address headers of nginx (`X-Real-IP`), Cloudflare
 * (`CF-Connecting-IP`), Akamai and Cloudflare Enterprise (`True-Client-IP`), and a few others.
 */
const PROXY_HEADERS = ['forwarded', 'via', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip', 'x-client-ip', 'x-cluster-client-ip', 'fastly-client-ip'];

/** The first proxy header of a request (see `PROXY_HEADERS`), or undefined. */
export function proxyHeaderOf(request: Request): string | undefined {
  for (const name of PROXY_HEADERS) if (request.headers.has(name)) return name;
  for (const [name] of request.headers) if (name.startsWith('x-forwarded-')) return name;
  return undefined;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** True for `localhost`, `*.localhost`, a loopback IPv4 address and `[::1]`, with any port. */
export function isLoopbackHost(host: string | null | undefined): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * The address the Node server behind a request listens on (`0.0.0.0`, `::`, `127.0.0.1`...), or
 * else the local address the connection arrived at; undefined without a Node socket.
 */
export function listeningAddress(incoming: IncomingMessage | undefined): string | undefined {
  const socket = incoming?.socket as (Socket & { server?: { address?: () => unknown } }) | undefined;
  if (!socket) return undefined;
  try {
    const bound = socket.server?.address?.();
    if (typeof bound === 'object' && bound !== null && typeof (bound as AddressInfo).address === 'string') return (bound as AddressInfo).address;
  } catch {
    // Not a net.Server: fall back to the connection's own address.
  }
  return socket.localAddress;
}

/**
 * The default authorization, as Hangfire's `LocalRequestsOnlyAuthorizationFilter`, made
 * stricter:
 *
 * - The socket's remote address must be loopback. `X-Forwarded-For` and its kin (see
 *   `proxyHeaderOf`) are never trusted to grant access, and their mere presence denies it: a
 *   reverse proxy on the same host relays the whole internet from 127.0.0.1, so a relayed request
 *   is not a local one. (The dashboard goes further: once it has seen one proxy header, it
 *   refuses every request by this rule; see `createApp`.)
 * - The `Host` header must name the loopback (`localhost`, `127.x.x.x`, `[::1]`). This defeats
 *   DNS rebinding, where a web page makes the browser of someone on this machine talk to the
 *   dashboard under the page's own domain name.
 * - When known, the address the server listens on must be loopback too: a dashboard listening on
 *   `0.0.0.0` or a public address was meant to be reached from elsewhere, through something this
 *   rule cannot see, and needs `authorize` or a `token`.
 *
 * A request with no known remote address (a fetch runtime without a Node socket) is not local.
 */
export function isLocalRequest(request: Request, remoteAddress: string | undefined, listening?: string): boolean {
  if (!isLoopbackAddress(remoteAddress)) return false;
  if (listening !== undefined && !isLoopbackAddress(listening)) return false;
  if (proxyHeaderOf(request) !== undefined) return false;
  const host = request.headers.get('host') ?? new URL(request.url).host;
  return isLoopbackHost(host);
}

/**
 * Access by token, as Jupyter's: a request carrying the dashboard's `token` is admitted, in an
 * `Authorization: Bearer <token>` header (scripts) or the HttpOnly cookie a browser gets by
 * opening any page once with `?token=<token>`. Compared in constant time.
 */
export class AccessToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** Whether `given` is the token. */
  matches(given: string | undefined | null): boolean {
    if (!given || given.length > 1000) return false;
    return timingSafeEqual(sha256(given), this.digest);
  }

  /** The token a request carries in its Authorization header, its cookie, or its query. */
  static of(request: Request, cookie: string | undefined): { value: string | undefined; fromQuery: boolean } {
    const auth = request.headers.get('authorization');
    if (auth && /^bearer /i.test(auth)) return { value: auth.slice(7).trim(), fromQuery: false };
    const query = new URL(request.url).searchParams.get('token');
    if (query !== null) return { value: query, fromQuery: true };
    return { value: cookie, fromQuery: false };
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Anti-forgery tokens, as a signed double-submit cookie (OWASP's recommended stateless form):
 * the browser holds a random nonce in an HttpOnly, SameSite=Strict cookie, and every form carries
 * HMAC(secret, nonce). A forged request can neither read the cookie nor compute the HMAC without
 * the dashboard's secret, which never leaves the process (random per dashboard by default).
 */
export class CsrfTokens {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
    if (this.secret.length < 16) throw new Error('csrfSecret must be at least 16 bytes long');
  }

  /** A fresh cookie value. */
  newNonce(): string {
    return randomBytes(24).toString('base64url');
  }

  /** The token forms carry for this cookie value. */
  tokenFor(nonce: string): string {
    return createHmac('sha256', this.secret).update(nonce).digest('base64url');
  }

  /** Whether `token` was made for `nonce` by this dashboard; constant-time. */
  verify(nonce: string | undefined, token: string | undefined): boolean {
    if (!nonce || !token || nonce.length > 100 || token.length > 100) return false;
    const expected = Buffer.from(this.tokenFor(nonce));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * The Content-Security-Policy of every page: scripts and styles only from the dashboard's own
 * static files (no inline script or style at all), no frames around it, forms posting only to
 * itself, no `<base>` tag, and fetches only to itself.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
} as const;
