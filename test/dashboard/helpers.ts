import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix = 'kiln-dashboard-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Serves `handler` on a free port of `host`; resolves to its base URL and a close function. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(handler);
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The anti-forgery cookie and a form token from a page, as a browser would hold them. */
export async function session(pageUrl: string): Promise<{ cookie: string; token: string; html: string }> {
  const res = await fetch(pageUrl);
  const html = await res.text();
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('kiln_csrf='));
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!setCookie || !token) throw new Error(`no anti-forgery cookie or token on ${pageUrl} (status ${res.status})`);
  return { cookie: setCookie.split(';')[0]!, token, html };
}

/** Debian's Chromium, driven by playwright-core (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** The `skip` option of a browser suite: a reason when Chromium is not installed. */
export const withoutChromium: string | false = !existsSync(CHROMIUM) && `${CHROMIUM} is missing (apt-get install chromium)`;

/** Headless Chromium as the browser tests run it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/**
 * Collects into `problems` what a page must never show: console errors and warnings (a CSP
 * violation is one), script errors, and dialogs other than the confirmations of danger buttons,
 * which it accepts.
 */
export function watchPage(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    if (d.type() !== 'confirm') problems.push(`dialog ${d.type()}: ${d.message()}`);
    void d.accept();
  });
}
