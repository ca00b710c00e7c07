import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValidationError, errorMessage } from '../errors.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, publicHealth, singleFlight, type MetricsSource, type ServerHealth, type ServerStatus } from './health.js';

/** What the endpoint needs of a server: a `BackgroundJobServer`. */
export interface HealthSource {
  readonly live: boolean;
  readonly status: ServerStatus;
  health(options?: { timeoutMs?: number }): Promise<ServerHealth>;
}

/** Options of `serveHealth`. */
export interface HealthEndpointOptions {
  /** The server whose health is served. */
  server: HealthSource;
  /** Port; 0 picks a free one. Required: a health port is something you choose. */
  port: number;
  /**
   * Default `'0.0.0.0'`: a Kubernetes probe reaches the pod's address, not its loopback. The
   * endpoint shows no stored value (no job, argument or error text): states, counts, names of
   * queues and jobs (with `metrics`). Pass `'127.0.0.1'` to keep it on this machine.
   */
  host?: string;
  /** Also serve `GET /metrics` from this (e.g. `kilnMetrics()`). Default: no `/metrics`. */
  metrics?: MetricsSource;
  /** How long `/readyz` waits for the storage, ms. Default 1 s. */
  timeoutMs?: number;
}

export interface RunningHealthEndpoint {
  /** E.g. `http://0.0.0.0:9000`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a server's health over HTTP, for Kubernetes probes and load balancers (`kiln server
 * --health-port` runs it):
 *
 * - `GET /healthz`, liveness: 200 while the server is starting or running, 503 otherwise. It
 *   never waits on the storage (a database outage is no reason to restart workers); a job that
 *   blocks the event loop leaves it unanswered, which is a reason.
 * - `GET /readyz`, readiness: 200 when the server runs and its storage answered within
 *   `timeoutMs`, else 503; the body is `health()` without the storage's error text.
 * - `GET /metrics`, when `metrics` is given: Prometheus's text format.
 *
 * No authorization: it shows no stored value. Keep it off a public network (or on `127.0.0.1`).
 */
export async function serveHealth(options: HealthEndpointOptions): Promise<RunningHealthEndpoint> {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', 'must be an object');
  const { server, port, host = '0.0.0.0', metrics, timeoutMs = DEFAULT_HEALTH_TIMEOUT_MS } = options;
  if (typeof server?.health !== 'function') throw new ValidationError('server', 'must be a BackgroundJobServer');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ValidationError('port', `must be a whole number from 0 to 65535, got ${String(port)}`);
  if (typeof host !== 'string' || host.length === 0) throw new ValidationError('host', 'must be an address to listen on');
  if (metrics !== undefined && typeof metrics?.metrics !== 'function') throw new ValidationError('metrics', 'must be kilnMetrics() or a prom-client Registry');
  if (!Number.isFinite(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) throw new ValidationError('timeoutMs', `must be from 1 to 60000 ms, got ${String(timeoutMs)}`);
  const ready = singleFlight(() => server.health({ timeoutMs }));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'Method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/healthz') return json(res, server.live ? 200 : 503, { live: server.live, status: server.status });
    if (path === '/readyz') {
      const health = await ready();
      return json(res, health.ready ? 200 : 503, publicHealth(health));
    }
    if (path === '/metrics' && metrics) return send(res, 200, metrics.contentType, await metrics.metrics());
    return send(res, 404, 'text/plain', 'Not found: /healthz (liveness), /readyz (readiness)' + (metrics ? ', /metrics' : '') + '\n');
  };
  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `${errorMessage(e).split('\n')[0]}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.close((e) => (e ? reject(e) : resolve()));
        http.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
