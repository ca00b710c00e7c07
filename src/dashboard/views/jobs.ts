import { html } from 'hono/html';
import type { JobRecord, StateName } from '../../storage/contract/index.js';
import { href, type PageContext, type QueryValue } from '../context.js';
import { actionFields, actionForm, bulkButton, empty, pager, selectAll, selectRow, type Paging } from './components.js';
import { firstLine, jsonText, time, truncate } from './format.js';
import type { Html } from './html.js';
import { jobsMenu, STATE_MENU } from './layout.js';
import { progressBar } from './components.js';
import { serverLabel, type ServerNames } from './servers.js';
import { elapsed } from './state-data.js';

export interface JobListFilter {
  search?: string | undefined;
  name?: string | undefined;
  queue?: string | undefined;
}

export interface JobListView {
  /** A state, or `retries`: scheduled jobs waiting for an automatic retry. */
  kind: StateName | 'retries';
  jobs: JobRecord[];
  paging: Paging;
  filter: JobListFilter;
  /** The queues known to have jobs or a server, for the queue filter. */
  queues: string[];
  /** Running servers' names, for the processing list. */
  servers?: ServerNames;
}

interface Column {
  head: string;
  cell: (job: JobRecord, now: number) => Html | string;
  className?: string;
}

/** What a list offers to do with the selected jobs; each is `JobClient.requeue`/`.delete` with `fromState`. */
const BULK: Record<JobListView['kind'], Array<{ op: 'requeue' | 'delete'; label: string }>> = {
  enqueued: [{ op: 'delete', label: 'Delete selected' }],
  scheduled: [{ op: 'requeue', label: 'Enqueue now' }, { op: 'delete', label: 'Delete selected' }],
  awaiting: [{ op: 'requeue', label: 'Enqueue now' }, { op: 'delete', label: 'Delete selected' }],
  processing: [{ op: 'requeue', label: 'Requeue selected' }, { op: 'delete', label: 'Delete selected' }],
  succeeded: [{ op: 'requeue', label: 'Requeue selected' }],
  failed: [{ op: 'requeue', label: 'Requeue selected' }, { op: 'delete', label: 'Delete selected' }],
  deleted: [{ op: 'requeue', label: 'Requeue selected' }],
  retries: [{ op: 'requeue', label: 'Retry now' }, { op: 'delete', label: 'Delete selected' }],
};

const errorOf = (job: JobRecord): string => {
  const e = job.stateData?.['error'];
  return typeof e === 'string' ? e : (job.stateReason ?? '');
};

function columnsFor(kind: JobListView['kind'], base: string, servers: ServerNames): Column[] {
  const at = (label: string): Column => ({ head: label, cell: (j, now) => time(j.stateAt, now), className: 'nowrap' });
  const queue: Column = { head: 'Queue', cell: (j) => html`<a href="${href(base, '/jobs/enqueued', { queue: j.queue })}" class="queue">${j.queue}</a>` };
  // Within a queue, higher priorities run first; 0 is the default, shown faintly.
  const priority: Column = {
    head: 'Priority',
    cell: (j) => (j.priority === 0 ? html`<span class="muted">0</span>` : String(j.priority)),
    className: 'num',
  };
  switch (kind) {
    case 'enqueued':
      return [queue, priority, at('Enqueued')];
    case 'scheduled':
      return [queue, priority, { head: 'Due', cell: (j, now) => time(j.runAt, now), className: 'nowrap' }, at('Scheduled')];
    case 'retries':
      return [
        { head: 'Retry', cell: (j) => html`<span class="num">${jsonText(j.parameters['retryCount'])}</span>` },
        { head: 'Last error', cell: (j) => html`<span class="error-text">${truncate(firstLine(j.stateReason ?? ''), 200)}</span>` },
        { head: 'Next attempt', cell: (j, now) => time(j.runAt, now), className: 'nowrap' },
      ];
    case 'awaiting':
      return [
        { head: 'Parent', cell: (j) => (j.parentId ? html`<a href="${href(base, `/job/${encodeURIComponent(j.parentId)}`)}" class="mono">${j.parentId}</a>` : '—') },
        at('Since'),
      ];
    case 'processing':
      return [
        queue,
        { head: 'Server', cell: (j) => (j.serverId ? serverLabel(j.serverId, servers) : '—') },
        { head: 'Progress', cell: (j) => progressBar(j.parameters['progress']) },
        at('Started'),
      ];
    case 'succeeded':
      return [
        { head: 'Result', cell: (j) => html`<code class="preview">${truncate(j.result ?? '', 120)}</code>` },
        { head: 'Duration', cell: (j) => (typeof j.stateData?.['duration'] === 'number' ? elapsed(j.stateData['duration']) : '—'), className: 'nowrap' },
        at('Succeeded'),
      ];
    case 'failed':
      return [
        { head: 'Error', cell: (j) => html`<span class="error-text">${truncate(firstLine(errorOf(j)), 200)}</span>` },
        at('Failed'),
      ];
    case 'deleted':
      return [{ head: 'Reason', cell: (j) => truncate(j.stateReason ?? '', 200) }, at('Deleted')];
  }
}

/** The list of one state's jobs: filters, bulk actions, table, pages. */
export function jobList(page: PageContext, v: JobListView): Html {
  const { base } = page;
  const path = v.kind === 'retries' ? '/retries' : `/jobs/${v.kind}`;
  const query: Record<string, QueryValue> = { search: v.filter.search, name: v.filter.name, queue: v.filter.queue };
  const pageQuery = { ...query, page: v.paging.page > 1 ? v.paging.page : undefined, size: v.paging.size !== 20 ? v.paging.size : undefined };
  const back = href('', path, pageQuery);
  const label = v.kind === 'retries' ? 'Retries' : (STATE_MENU.find((m) => m.state === v.kind)?.label ?? v.kind);
  const heading = v.kind === 'retries' ? 'Retries' : `${label} jobs`;
  const none = v.kind === 'retries' ? 'No job is waiting for a retry.' : `No ${label.toLowerCase()} jobs.`;
  const actions = page.readOnly ? [] : BULK[v.kind];
  const columns = columnsFor(v.kind, base, v.servers ?? new Map());
  const fromState: StateName = v.kind === 'retries' ? 'scheduled' : v.kind;
  const filtered = Boolean(v.filter.search || v.filter.name || v.filter.queue);
  return html`<div class="with-side">
${jobsMenu(page, v.kind)}
<section class="content">
  <h1>${heading}</h1>
  ${v.kind === 'retries'
    ? html`<p class="hint">Jobs that failed and wait for an automatic retry.</p>`
    : ''}
  <form method="get" action="${href(base, path)}" class="filters" role="search">
    <input type="search" name="search" value="${v.filter.search ?? ''}" placeholder="Job id (prefix) or name" aria-label="Search by job id or name" maxlength="200">
    ${v.queues.length > 0 && v.kind !== 'awaiting' && v.kind !== 'retries'
      ? html`<select name="queue" aria-label="Queue"><option value="">All queues</option>${v.queues.map(
          (q) => html`<option value="${q}"${q === v.filter.queue ? html` selected` : ''}>${q}</option>`,
        )}</select>`
      : ''}
    ${v.filter.name ? html`<input type="hidden" name="name" value="${v.filter.name}">` : ''}
    ${v.paging.size !== 20 ? html`<input type="hidden" name="size" value="${v.paging.size}">` : ''}
    <button type="submit" class="btn">Search</button>
    ${filtered ? html`<a href="${href(base, path)}" class="clear">Clear filters</a>` : ''}
  </form>
  ${v.filter.name ? html`<p class="chips">Job name is <code>${v.filter.name}</code> <a href="${href(base, path, { ...query, name: undefined })}" aria-label="Remove the name filter">×</a></p>` : ''}
  ${v.jobs.length === 0
    ? empty(filtered ? 'No job matches.' : none)
    : actionForm(
        actions.length > 0,
        href(base, '/actions/jobs'),
        html`${actionFields(page, back)}
    <input type="hidden" name="from" value="${fromState}">
    <div class="toolbar">${actions.map((a) =>
      bulkButton(a.op, a.label, a.op === 'delete' ? { confirm: 'Delete the selected jobs?', danger: true } : {}),
    )}<span class="selection" data-selection-count></span></div>`,
        html`<div class="table-wrap"><table class="jobs stack">
      <thead><tr>${actions.length > 0 ? html`<th class="check">${selectAll()}</th>` : ''}<th>Id</th><th>Job</th>${columns.map((c) => html`<th>${c.head}</th>`)}</tr></thead>
      <tbody>
      ${v.jobs.map(
        (j) => html`<tr>
        ${actions.length > 0 ? html`<td class="check">${selectRow(j.id, j.id)}</td>` : ''}
        <td class="id" data-label="Id"><a href="${href(base, `/job/${encodeURIComponent(j.id)}`)}" class="mono">${j.id}</a></td>
        <td class="job" data-label="Job"><a href="${href(base, path, { ...query, name: j.name })}" class="job-name" title="Only jobs named ${j.name}">${j.name}</a>
          <code class="preview">${truncate(j.args, 120)}</code></td>
        ${columns.map((c) => html`<td class="${c.className ?? ''}" data-label="${c.head}">${c.cell(j, page.now)}</td>`)}
      </tr>`,
      )}
      </tbody>
    </table></div>`,
      )}
  ${pager(page, path, query, v.paging)}
</section>
</div>`;
}
