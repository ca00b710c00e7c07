import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDashboard, type Dashboard } from './dashboard.js';
import { ValidationError } from '../errors.js';
import type { DashboardOptions } from './options.js';
import { isLoopbackAddress } from './security.js';

export interface StartDashboardOptions extends DashboardOptions {
  /** Default 4747; 0 picks a free port. */
  port?: number;
  /**
   * Default `'127.0.0.1'`: only this machine can connect. Another address (`0.0.0.0`, a public
   * one) is refused unless `authorize` or `token` is given: the default authorization admits no
   * request to a dashboard listening there.
   */
  host?: string;
}

export interface RunningDashboard {
  dashboard: Dashboard;
  /** The address it listens on, e.g. `http://127.0.0.1:4747/`. */
  url: string;
  port: number;
  /** Stops accepting connections and closes the open ones. */
  close(): Promise<void>;
}

/** Serves the dashboard on its own HTTP server, for `kiln dashboard` and scripts. */
export async function startDashboard(options: StartDashboardOptions = {}): Promise<RunningDashboard> {
  const { port = 4747, host = '127.0.0.1', ...rest } = options;
  if (!rest.authorize && rest.token === undefined && !isLoopbackAddress(host) && host !== 'localhost') {
    throw new ValidationError('host', `${JSON.stringify(host)} is not a loopback address: pass authorize or token, or the dashboard would refuse every request`);
  }
  const dashboard = createDashboard(rest);
  const server = serve({ fetch: (request, env) => dashboard.fetch(request, env), port, hostname: host, overrideGlobalObjects: false });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    dashboard,
    url: `http://${shownHost}:${address.port}${dashboard.basePath}/`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const s = server as { closeAllConnections?: () => void };
        server.close((error) => (error ? reject(error) : resolve()));
        s.closeAllConnections?.();
      }),
  };
}
