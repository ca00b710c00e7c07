import { html } from 'hono/html';
import type { QueueStatistics, StorageStatistics } from '../../storage/contract/index.js';
import { href, type PageContext } from '../context.js';
import type { Html } from './html.js';
import { STATE_MENU } from './layout.js';

/**
 * The overview: a counter per state (kept fresh by the page script from `api/stats`), the
 * realtime chart of successes and failures per second, and the history chart (last 24 hours by
 * hour, last 7 days by day) drawn from `api/history`.
 */
export function overview(page: PageContext, stats: StorageStatistics, queues: QueueStatistics[]): Html {
  const { base } = page;
  const n = (x: number) => x.toLocaleString('en-US');
  return html`<section class="content overview" data-overview data-stats-url="${href(base, '/api/stats')}" data-history-url="${href(base, '/api/history')}">
  <h1>Overview</h1>
  <div class="cards">
    ${STATE_MENU.map(
      ({ state, label }) => html`<a class="card st-${state}" href="${href(base, `/jobs/${state}`)}">
      <span class="card-label">${label}</span><span class="card-value" data-stat="${state}">${n(stats.states[state])}</span></a>`,
    )}
    <a class="card" href="${href(base, '/servers')}"><span class="card-label">Servers</span><span class="card-value" data-stat="servers">${n(stats.servers)}</span></a>
    <a class="card" href="${href(base, '/recurring')}"><span class="card-label">Recurring</span><span class="card-value" data-stat="recurring">${n(stats.recurring)}</span></a>
  </div>
  <div class="charts">
    <figure class="chart">
      <figcaption>Realtime <span class="muted">(jobs per second, updated every 2 s)</span></figcaption>
      <div class="canvas-box"><canvas id="realtime-chart" aria-label="Succeeded and failed jobs per second" role="img"></canvas></div>
    </figure>
    <figure class="chart">
      <figcaption>History
        <span class="tabs" role="group" aria-label="History range">
          <button type="button" class="tab active" data-history="hour" aria-pressed="true">Day</button>
          <button type="button" class="tab" data-history="day" aria-pressed="false">Week</button>
        </span>
      </figcaption>
      <div class="canvas-box"><canvas id="history-chart" aria-label="Succeeded and failed jobs per hour or per day" role="img"></canvas></div>
    </figure>
  </div>
  <p class="totals">Since the storage was created: <strong data-stat="succeededTotal">${n(stats.succeededTotal)}</strong> succeeded,
    <strong data-stat="failedTotal">${n(stats.failedTotal)}</strong> failed attempts.</p>
  ${queues.length > 0
    ? html`<h2>Queues</h2>${queueTable(page, queues)}`
    : ''}
</section>`;
}

/** Queues with their enqueued and processing counts. */
export function queueTable(page: PageContext, queues: QueueStatistics[]): Html {
  const { base } = page;
  return html`<div class="table-wrap"><table class="queues">
  <thead><tr><th>Queue</th><th class="num">Enqueued</th><th class="num">Processing</th></tr></thead>
  <tbody>${queues.map(
    (q) => html`<tr><td><a href="${href(base, '/jobs/enqueued', { queue: q.queue })}" class="queue">${q.queue}</a></td>
    <td class="num"><a href="${href(base, '/jobs/enqueued', { queue: q.queue })}">${q.enqueued.toLocaleString('en-US')}</a></td>
    <td class="num"><a href="${href(base, '/jobs/processing', { queue: q.queue })}">${q.processing.toLocaleString('en-US')}</a></td></tr>`,
  )}</tbody></table></div>`;
}
