import { html } from 'hono/html';
import type { ServerRecord } from '../../storage/contract/index.js';
import type { PageContext } from '../context.js';
import { duration, time } from './format.js';
import type { Html } from './html.js';

/** Running servers' names by id, for showing `host:pid` where a job only records the id. */
export type ServerNames = ReadonlyMap<string, string>;

export function serverNames(servers: readonly ServerRecord[]): ServerNames {
  return new Map(servers.map((s) => [s.id, s.name]));
}

/**
 * A server as people know it: its name (`host:pid`, as the logs say), the id in the tooltip. A
 * server that stopped since is gone from storage with its name, so it shows as the start of its
 * id, marked as no longer running.
 */
export function serverLabel(id: string, names: ServerNames): Html {
  const name = names.get(id);
  return name !== undefined
    ? html`<span class="server" title="Server ${id}">${name}</span>`
    : html`<span class="server gone mono small" title="Server ${id}, no longer running">${id.slice(0, 8)}… <span class="muted">(stopped)</span></span>`;
}

/**
 * A server whose last heartbeat is older than this is shown as late. 30 s is the servers'
 * default `serverTimeout`, after which the watchdog of another server removes it.
 */
export const LATE_HEARTBEAT_MS = 30_000;

/** Running servers: name, workers, queues, start, and how long ago each last said it was alive. */
export function serversPage(page: PageContext, servers: ServerRecord[]): Html {
  const { now } = page;
  return html`<section class="content"><h1>Servers</h1>
  ${servers.length === 0
    ? html`<p class="empty">No server is running. Jobs wait in their queues until one starts.</p>`
    : html`<div class="table-wrap"><table class="servers stack">
    <thead><tr><th>Name</th><th class="num">Workers</th><th>Queues</th><th>Started</th><th>Heartbeat</th></tr></thead>
    <tbody>${servers.map((s) => {
      const age = Math.max(0, now - s.heartbeatAt);
      return html`<tr>
      <td><strong>${s.name}</strong><br><span class="mono small muted">${s.id}</span></td>
      <td class="num" data-label="Workers">${s.workerCount}</td>
      <td data-label="Queues">${s.queues.map((q) => html`<span class="queue">${q}</span> `)}</td>
      <td class="nowrap" data-label="Started">${time(s.startedAt, now)}</td>
      <td class="nowrap" data-label="Heartbeat"><span class="${age > LATE_HEARTBEAT_MS ? 'late' : 'alive'}" data-heartbeat-age="${age}">${duration(age)} ago</span></td>
    </tr>`;
    })}</tbody></table></div>`}
  </section>`;
}
