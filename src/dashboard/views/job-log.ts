import { html } from 'hono/html';
import type { JobLogPage, StateName, StoredJobLogLine } from '../../storage/contract/index.js';
import { href, type PageContext } from '../context.js';
import { jsonText } from './format.js';
import type { Html } from './html.js';

/** States after which nothing more is logged or reported: the page stops following the job. */
const SETTLED: readonly StateName[] = ['succeeded', 'failed', 'deleted'];

/** `12:04:05.123` (UTC) of a log line; the full time is its tooltip, made local by the page script. */
function clock(at: number): Html {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return html`<span class="muted">${String(at)}</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(11, 23)}</time>`;
}

/** One line, as the page script also builds it when a new one arrives (keep the two alike). */
function logLine(line: StoredJobLogLine): Html {
  return html`<li class="log-line lvl-${line.level}" data-seq="${line.seq}">${clock(line.at)} <span class="lvl">${line.level}</span> <span class="msg">${line.message}</span>${
    line.fields === undefined ? '' : html` <code class="fields">${jsonText(line.fields)}</code>`
  }</li>`;
}

/**
 * A job's log (what it wrote with `ctx.logger`), oldest first, with the marker of lines dropped to
 * keep it within its bound. While the job may still change, the section names the JSON the page
 * script polls (`api/job/<id>?after=<last seq>`) to append new lines and move the progress bar.
 */
export function jobLog(page: PageContext, jobId: string, state: StateName, logs: JobLogPage | { error: string }): Html {
  if ('error' in logs) {
    return html`<h2>Log</h2><p class="muted" data-log-error>The log could not be read: ${logs.error}</p>`;
  }
  const live = !SETTLED.includes(state);
  const url = href(page.base, `/api/job/${encodeURIComponent(jobId)}`);
  return html`<section class="job-log"${live ? html` data-live-url="${url}" data-state="${state}" data-after="${logs.lastSeq}"` : ''}>
  <h2>Log <span class="muted small" data-log-status>${live ? 'following this job' : ''}</span></h2>
  <p class="muted small log-dropped" data-log-dropped${logs.dropped > 0 ? '' : html` hidden`}>… <span data-dropped-count>${logs.dropped}</span> earlier line(s) dropped: a job keeps its newest lines only</p>
  <ol class="log" data-log>${logs.lines.map(logLine)}</ol>
  <p class="muted" data-log-empty${logs.lines.length > 0 ? html` hidden` : ''}>No log lines${live ? ' yet' : ''}. Lines a job writes with <code>ctx.logger</code> appear here.</p>
</section>`;
}
