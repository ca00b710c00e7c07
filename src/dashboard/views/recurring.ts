import { html } from 'hono/html';
import type { RecurringJobRecord, StateName } from '../../storage/contract/index.js';
import { href, type PageContext } from '../context.js';
import { actionFields, actionForm, bulkButton, empty, pager, selectAll, selectRow, type Paging } from './components.js';
import { time, truncate } from './format.js';
import type { Html } from './html.js';
import { stateBadge } from './layout.js';

export interface RecurringView {
  jobs: RecurringJobRecord[];
  /** The state of each shown recurring job's last job, when that job still exists. */
  lastStates: Map<string, StateName>;
  paging: Paging;
  search: string | undefined;
}

/** Recurring jobs: cron, time zone, next and last run, last job's state, paused; trigger/pause/resume/remove. */
export function recurringPage(page: PageContext, v: RecurringView): Html {
  const { base, now } = page;
  const canAct = !page.readOnly && page.recurringActions;
  const back = href('', '/recurring', { search: v.search, page: v.paging.page > 1 ? v.paging.page : undefined, size: v.paging.size !== 20 ? v.paging.size : undefined });
  return html`<section class="content"><h1>Recurring jobs</h1>
  <form method="get" action="${href(base, '/recurring')}" class="filters" role="search">
    <input type="search" name="search" value="${v.search ?? ''}" placeholder="Recurring id or job name" aria-label="Search recurring jobs" maxlength="200">
    <button type="submit" class="btn">Search</button>
    ${v.search ? html`<a href="${href(base, '/recurring')}" class="clear">Clear</a>` : ''}
  </form>
  ${!page.readOnly && !page.recurringActions ? html`<p class="hint">This dashboard's client has no recurring-job actions.</p>` : ''}
  ${v.jobs.length === 0
    ? empty(v.search ? 'No recurring job matches.' : 'No recurring jobs.')
    : actionForm(
        canAct,
        href(base, '/actions/recurring'),
        html`${actionFields(page, back)}
    <div class="toolbar">${bulkButton('trigger', 'Trigger now')}${bulkButton('pause', 'Pause')}${bulkButton('resume', 'Resume')}${bulkButton(
      'remove',
      'Remove',
      { confirm: 'Remove the selected recurring jobs?', danger: true },
    )}<span class="selection" data-selection-count></span></div>`,
        html`<div class="table-wrap"><table class="recurring stack">
    <thead><tr>${canAct ? html`<th class="check">${selectAll()}</th>` : ''}<th>Id</th><th>Job</th><th>Cron</th><th>Time zone</th><th>Next run</th><th>Last run</th><th>Last job</th></tr></thead>
    <tbody>${v.jobs.map((r) => {
      const last = r.lastJobId ? v.lastStates.get(r.lastJobId) : undefined;
      return html`<tr class="${r.paused ? 'paused' : ''}" data-recurring-id="${r.id}">
      ${canAct ? html`<td class="check">${selectRow(r.id, r.id)}</td>` : ''}
      <td><strong>${r.id}</strong>${r.paused ? html` <span class="badge paused">paused</span>` : ''}
        ${r.error ? html`<br><span class="error-text small" title="${r.error}">${truncate(r.error, 120)}</span>` : ''}</td>
      <td data-label="Job"><span class="job-name">${r.name}</span> <span class="queue">${r.queue}</span><br><code class="preview">${truncate(r.args, 80)}</code></td>
      <td data-label="Cron"><code>${r.cron}</code></td>
      <td data-label="Time zone">${r.timeZone}</td>
      <td data-label="Next run" class="nowrap">${r.paused ? html`<span class="muted">paused</span>` : time(r.nextExecution, now)}</td>
      <td data-label="Last run" class="nowrap">${time(r.lastExecution, now)}</td>
      <td data-label="Last job">${r.lastJobId
        ? html`<a href="${href(base, `/job/${encodeURIComponent(r.lastJobId)}`)}">${last ? stateBadge(last) : html`<span class="muted">expired</span>`}</a>`
        : html`<span class="muted">never</span>`}</td>
    </tr>`;
    })}</tbody></table></div>`,
      )}
  ${pager(page, '/recurring', { search: v.search }, v.paging)}
</section>`;
}
