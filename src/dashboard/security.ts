import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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
  /** The default rule's verdict: see `isLocalRequest`. */
  isLocal: boolean;
}

/** Decides whether a request may see the dashboard (and act, unless read-only). */
export type DashboardAuthorize = (request: DashboardRequest) => boolean | Promise<boolean>;

/** Headers that a reverse proxy adds when it relays a request. */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'via'];

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
 * The default authorization, as Hangfire's `LocalRequestsOnlyAuthorizationFilter`, made
 * stricter in two ways:
 *
 * - The socket's remote address must be loopback. `X-Forwarded-For` and its kin are never
 *   trusted to grant access, and their mere presence denies it: a reverse proxy on the same host
 *   relays the whole internet from 127.0.0.1, so a relayed request is not a local one. Put the
 *   dashboard behind a proxy only with an `authorize` function of your own.
 * - The `Host` header must name the loopback (`localhost`, `127.x.x.x`, `[::1]`). This defeats
 *   DNS rebinding, where a web page makes the browser of someone on this machine talk to the
 *   dashboard under the page's own domain name.
 *
 * A request with no known remote address (a fetch runtime without a Node socket) is not local.
 */
export function isLocalRequest(request: Request, remoteAddress: string | undefined): boolean {
  if (!isLoopbackAddress(remoteAddress)) return false;
  for (const name of PROXY_HEADERS) if (request.headers.has(name)) return false;
  const host = request.headers.get('host') ?? new URL(request.url).host;
  return isLoopbackHost(host);
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
