import { html } from 'hono/html';
import type { LimitUsage } from '../../storage/contract/index.js';
import { duration } from './format.js';
import type { Html } from './html.js';

const n = (x: number) => x.toLocaleString('en-US');

/** A limit's use as people read it: `5 / 5 running, 130 waiting`, `48 / 50 started per 1 s, 3 waiting`. */
export function limitUse(l: LimitUsage): string {
  const use = l.kind === 'concurrency' ? `${n(l.used)} / ${n(l.limit)} running` : `${n(l.used)} / ${n(l.limit)} started per ${duration(l.perMs ?? 0)}`;
  return `${use}, ${n(l.waiting)} waiting`;
}

/** Whether a limit allows no more starts now. */
export const isFull = (l: LimitUsage): boolean => l.used >= l.limit;

/** One limit, marked when full. */
export function limitBadge(l: LimitUsage): Html {
  return html`<span class="limit${isFull(l) ? ' full' : ''}" data-limit="${l.kind}">${limitUse(l)}</span>`;
}

/** A table of job groups' limits: "tenant-42: 5 / 5 running, 130 waiting". */
export function limitTable(limits: LimitUsage[], total: number): Html {
  return html`<div class="table-wrap"><table class="limits stack">
  <thead><tr><th>Key</th><th>Limit</th><th>Use</th></tr></thead>
  <tbody>${limits.map(
    (l) => html`<tr class="${isFull(l) ? 'full' : ''}" data-limit-key="${l.key}">
    <td><code>${l.key}</code></td>
    <td data-label="Limit">${l.kind === 'concurrency' ? `${n(l.limit)} at once` : `${n(l.limit)} per ${duration(l.perMs ?? 0)}`}</td>
    <td data-label="Use">${limitBadge(l)}</td></tr>`,
  )}</tbody></table></div>
  ${total > limits.length ? html`<p class="hint">Showing ${n(limits.length)} of ${n(total)} limits in use.</p>` : ''}`;
}
