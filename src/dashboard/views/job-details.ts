import { html } from 'hono/html';
import type { JobDetails, JobLogPage, LimitUsage, StateName } from '../../storage/contract/index.js';
import { href, type PageContext } from '../context.js';
import { actionFields, progressBar } from './components.js';
import type { JobLimits } from '../job-limits.js';
import { duration, jsonText, prettyJson, time } from './format.js';
import { isFull, limitBadge, limitUse } from './limits.js';
import type { Html } from './html.js';
import { jobLog } from './job-log.js';
import { stateBadge } from './layout.js';
import { serverLabel, type ServerNames } from './servers.js';
import { repeatsException, stateData } from './state-data.js';

/** What can be done to a job in a state, through `JobClient` with `fromState` = that state. */
function actionsFor(state: StateName): Array<{ op: 'requeue' | 'delete'; label: string }> {
  switch (state) {
    case 'enqueued':
      return [{ op: 'delete', label: 'Delete' }];
    case 'scheduled':
    case 'awaiting':
      return [{ op: 'requeue', label: 'Enqueue now' }, { op: 'delete', label: 'Delete' }];
    case 'processing':
    case 'failed':
      return [{ op: 'requeue', label: 'Requeue' }, { op: 'delete', label: 'Delete' }];
    case 'succeeded':
    case 'deleted':
      return [{ op: 'requeue', label: 'Requeue' }];
  }
}

/**
 * One job: arguments, progress, parameters, result, parent, continuations, its log, its whole
 * state history, its priority and limits, and, while it is enqueued, what holds it back (a full
 * limit, a paused queue).
 */
export function jobDetails(
  page: PageContext,
  job: JobDetails,
  servers: ServerNames,
  logs: JobLogPage | { error: string },
  limits: JobLimits = { usage: [], queuePaused: false },
): Html {
  const { base, now } = page;
  const link = (id: string) => html`<a href="${href(base, `/job/${encodeURIComponent(id)}`)}" class="mono">${id}</a>`;
  const params = Object.entries(job.parameters).filter(([k]) => k !== 'progress');
  const progress = job.parameters['progress'];
  const history = [...job.history].reverse();
  const actions = page.readOnly ? [] : actionsFor(job.state);
  return html`<section class="content job-details">
  <p class="crumbs"><a href="${href(base, `/jobs/${job.state}`)}">${job.state} jobs</a> ›</p>
  <h1><span class="job-name">${job.name}</span> ${stateBadge(job.state)}</h1>
  <p class="mono id-line">${job.id}</p>
  ${actions.length > 0
    ? html`<form method="post" action="${href(base, '/actions/jobs')}" class="toolbar">
    ${actionFields(page, `/job/${encodeURIComponent(job.id)}`)}
    <input type="hidden" name="ids" value="${job.id}">
    <input type="hidden" name="from" value="${job.state}">
    ${actions.map(
      (a) =>
        html`<button type="submit" name="op" value="${a.op}" class="btn${a.op === 'delete' ? ' danger' : ''}"${
          a.op === 'delete' ? html` data-confirm="Delete this job?"` : ''
        }>${a.label}</button>`,
    )}
  </form>`
    : ''}
  <dl class="facts">
    <dt>Queue</dt><dd><a href="${href(base, '/jobs/enqueued', { queue: job.queue })}">${job.queue}</a></dd>
    <dt>Created</dt><dd>${time(job.createdAt, now)}</dd>
    <dt>In state since</dt><dd>${time(job.stateAt, now)}</dd>
    <dt>Attempt</dt><dd>${job.attempt}</dd>
    ${progress !== undefined || job.state === 'processing' ? html`<dt>Progress</dt><dd data-live-progress>${progressBar(progress)}</dd>` : ''}
    ${job.runAt !== null && job.state === 'scheduled' ? html`<dt>Due</dt><dd>${time(job.runAt, now)}</dd>` : ''}
    ${job.serverId ? html`<dt>Server</dt><dd>${serverLabel(job.serverId, servers)}</dd>` : ''}
    ${job.expireAt !== null ? html`<dt>Expires</dt><dd>${time(job.expireAt, now)}</dd>` : ''}
    ${job.parentId ? html`<dt>Parent</dt><dd>${link(job.parentId)}</dd>` : ''}
    ${job.uniqueKey ? html`<dt>Unique key</dt><dd><code>${job.uniqueKey}</code></dd>` : ''}
    <dt>Priority</dt><dd>${job.priority}</dd>
    ${job.concurrency
      ? html`<dt>Concurrency</dt><dd><code>${job.concurrency.key}</code>: at most ${job.concurrency.limit} at once ${usageOf(limits, 'key', 'concurrency')}</dd>`
      : ''}
    ${job.rateLimit
      ? html`<dt>Rate limit</dt><dd><code>${job.rateLimit.key}</code>: at most ${job.rateLimit.max} per ${duration(job.rateLimit.perMs)} ${usageOf(limits, 'key', 'rate')}</dd>`
      : ''}
    ${limits.usage.some((l) => l.scope === 'queue')
      ? html`<dt>Queue limits</dt><dd>${usageOf(limits, 'queue', 'concurrency')} ${usageOf(limits, 'queue', 'rate')}</dd>`
      : ''}
  </dl>
  ${job.state === 'enqueued' ? waitingFor(job, limits) : ''}
  <h2>Arguments</h2>
  <pre class="code args">${prettyJson(job.args)}</pre>
  ${job.result !== null ? html`<h2>Result</h2><pre class="code">${prettyJson(job.result)}</pre>` : ''}
  ${params.length > 0
    ? html`<h2>Parameters</h2><dl class="kv">${params.map(
        ([k, v]) => html`<dt>${k}</dt><dd><code>${jsonText(v, true)}</code></dd>`,
      )}</dl>`
    : ''}
  ${job.continuations.length > 0
    ? html`<h2>Continuations</h2><ul class="plain">${job.continuations.map((id) => html`<li>${link(id)}</li>`)}</ul>`
    : ''}
  ${jobLog(page, job.id, job.state, logs)}
  <h2>History</h2>
  <ol class="history">
    ${history.map(
      (h) => html`<li class="entry st-${h.name}">
      <div class="entry-head">${stateBadge(h.name)} <span class="reason">${repeatsException(h) ? '' : (h.reason ?? '')}</span> ${time(h.at, now)}</div>
      ${stateData(h, now, servers)}
    </li>`,
    )}
  </ol>
</section>`;
}

/** The page for a job id that is not (or no longer) in storage. */
export function jobMissing(page: PageContext, id: string): Html {
  return html`<section class="content"><h1>Job not found</h1>
  <p>No job <code>${id}</code>: it never existed, or it expired after its retention.</p>
  <p><a href="${href(page.base, '/jobs/succeeded')}">Succeeded jobs</a> · <a href="${href(page.base, '/jobs/failed')}">Failed jobs</a></p></section>`;
}

function usageOf(limits: JobLimits, scope: LimitUsage['scope'], kind: LimitUsage['kind']): Html | string {
  const l = limits.usage.find((u) => u.scope === scope && u.kind === kind);
  return l ? html`<span class="muted">(</span>${limitBadge(l)}<span class="muted">)</span>` : '';
}

/** What holds an enqueued job back now: its queue is paused, or a limit it is subject to is full. */
function waitingFor(job: JobDetails, limits: JobLimits): Html | string {
  const reasons: Html[] = [];
  if (limits.queuePaused) reasons.push(html`<li>its queue <span class="queue">${job.queue}</span> is paused</li>`);
  for (const l of limits.usage.filter(isFull)) {
    const what = l.scope === 'queue' ? html`its queue's ${l.kind} limit` : html`its ${l.kind} limit <code>${l.key}</code>`;
    reasons.push(html`<li>${what} is full: ${limitUse(l)}</li>`);
  }
  if (reasons.length === 0) return '';
  return html`<div class="waiting" data-waiting><strong>Waiting for its turn:</strong><ul>${reasons}</ul>
  <p class="hint">It holds no worker and counts no attempt; a server takes it as soon as this allows.</p></div>`;
}
