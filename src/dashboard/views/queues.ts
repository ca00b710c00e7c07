import { html } from 'hono/html';
import type { LimitUsage, QueueSettings, QueueStatistics } from '../../storage/contract/index.js';
import { href, type PageContext } from '../context.js';
import { actionFields } from './components.js';
import type { Html } from './html.js';
import { limitBadge, limitTable } from './limits.js';

export interface QueuesView {
  /** Queues with jobs, served by a server, or with settings. */
  queues: QueueStatistics[];
  settings: Map<string, QueueSettings>;
  /** The limits in use: queues' own, then job groups'. */
  limits: LimitUsage[];
  /** How many limits are in use in all (`limits` is the first page). */
  total: number;
  /** Whether the dashboard's client can pause and resume queues. */
  canAct: boolean;
}

/**
 * The Queues page: each queue with its counts, a paused badge, its limits with their use, and a
 * Pause or Resume button (a POST carrying the anti-forgery token, through `JobClient.queues`);
 * then every job group's limit in use.
 */
export function queuesPage(page: PageContext, v: QueuesView): Html {
  const { base } = page;
  const canAct = v.canAct && !page.readOnly;
  const queueLimits = (queue: string) => v.limits.filter((l) => l.scope === 'queue' && l.key === queue);
  const groups = v.limits.filter((l) => l.scope === 'key');
  const n = (x: number) => x.toLocaleString('en-US');
  return html`<section class="content"><h1>Queues</h1>
  ${v.queues.length === 0
    ? html`<p class="empty">No job is enqueued or processing, no server is running, and no queue is paused or limited.</p>`
    : html`<div class="table-wrap"><table class="queues stack">
  <thead><tr><th>Queue</th><th class="num">Enqueued</th><th class="num">Processing</th><th>Limits</th>${canAct ? html`<th></th>` : ''}</tr></thead>
  <tbody>${v.queues.map((q) => {
    const paused = v.settings.get(q.queue)?.paused === true;
    const limits = queueLimits(q.queue);
    return html`<tr class="${paused ? 'paused' : ''}" data-queue="${q.queue}">
    <td><a href="${href(base, '/jobs/enqueued', { queue: q.queue })}" class="queue">${q.queue}</a>${paused ? html` <span class="badge paused">paused</span>` : ''}</td>
    <td class="num" data-label="Enqueued"><a href="${href(base, '/jobs/enqueued', { queue: q.queue })}">${n(q.enqueued)}</a></td>
    <td class="num" data-label="Processing"><a href="${href(base, '/jobs/processing', { queue: q.queue })}">${n(q.processing)}</a></td>
    <td data-label="Limits">${limits.length === 0 ? html`<span class="muted">none</span>` : limits.map((l) => html`<div>${limitBadge(l)}</div>`)}</td>
    ${canAct
      ? html`<td><form method="post" action="${href(base, '/actions/queues')}" class="inline">
      ${actionFields(page, '/queues')}<input type="hidden" name="queue" value="${q.queue}">
      ${paused
        ? html`<button type="submit" name="op" value="resume" class="btn">Resume</button>`
        : html`<button type="submit" name="op" value="pause" class="btn" data-confirm="Pause queue ${q.queue}? No server will take its jobs until it is resumed.">Pause</button>`}
    </form></td>`
      : ''}
  </tr>`;
  })}</tbody></table></div>`}
  <p class="hint">A queue appears here while it holds enqueued or processing jobs, while a running server serves it, or while it is paused or limited. Pausing stops every server from taking its jobs; running jobs finish.</p>
  <h2>Limits in use</h2>
  ${groups.length === 0 ? html`<p class="empty">No job with a concurrency or rate limit is enqueued or running.</p>` : limitTable(groups, v.total - (v.limits.length - groups.length))}
</section>`;
}
