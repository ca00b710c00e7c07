import { html } from 'hono/html';
import type { Json, StateEntry } from '../../storage/contract/index.js';
import { jsonText, time } from './format.js';
import type { Html } from './html.js';
import { serverLabel, type ServerNames } from './servers.js';

/** Keys of a failed state's data shown as the exception block rather than in the key/value list. */
const EXCEPTION_KEYS = new Set(['error', 'type', 'stack']);

/**
 * A precise elapsed time with its unit: `617 ms`, `2.4 s`, `3 min 20 s`, `2 h 5 min`. (The
 * coarse `duration()` of format.ts is for ages, "5 min ago"; a job's run time wants more.)
 */
export function elapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min${whole % 60 ? ` ${whole % 60} s` : ''}`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/** True for a state's reason that only repeats its exception (`Error: message`, or the message). */
export function repeatsException(entry: StateEntry): boolean {
  const error = entry.data?.['error'];
  if (typeof error !== 'string' || entry.reason === undefined) return false;
  const type = entry.data?.['type'];
  return entry.reason === error || (typeof type === 'string' && entry.reason === `${type}: ${error}`);
}

/**
 * The stack without its head when the head is the exception's type and message again, which
 * the block shows just above it: V8 stacks start with `Type: message`.
 */
function stackBody(stack: string, type: string | undefined, error: string | undefined): string {
  if (error === undefined) return stack;
  for (const head of [type ? `${type}: ${error}` : undefined, error, 'Error: ' + error]) {
    if (head !== undefined && stack.startsWith(head)) {
      const body = stack.slice(head.length).replace(/^\r?\n/, '');
      return body === '' ? stack : body;
    }
  }
  return stack;
}

/** One value of a state's data, read as people read it: times, durations, server names. */
function value(key: string, v: Json, now: number, servers: ServerNames): Html {
  if (typeof v === 'number' && (key === 'runAt' || key.endsWith('At'))) return time(v, now);
  if (typeof v === 'number' && (key === 'duration' || key.endsWith('Ms') || key.endsWith('Duration'))) {
    return html`<span title="${v} ms">${elapsed(v)}</span>`;
  }
  if (typeof v === 'string' && key === 'serverId') return serverLabel(v, servers);
  return html`<code>${jsonText(v)}</code>`;
}

/**
 * What a history entry carries: the exception of a failure once (type, message, then the stack
 * below its repeated head), and the rest as a key/value list.
 */
export function stateData(entry: StateEntry, now: number, servers: ServerNames): Html {
  const data = entry.data ?? {};
  const error = typeof data['error'] === 'string' ? data['error'] : undefined;
  const type = typeof data['type'] === 'string' ? data['type'] : undefined;
  const stack = typeof data['stack'] === 'string' ? data['stack'] : undefined;
  const rest = Object.entries(data).filter(([k]) => !EXCEPTION_KEYS.has(k) || (k === 'type' && error === undefined && stack === undefined));
  return html`${error !== undefined || stack !== undefined
    ? html`<div class="exception">
        ${type ? html`<span class="error-type">${type}</span>` : ''}
        ${error !== undefined ? html`<p class="error-text">${error}</p>` : ''}
        ${stack !== undefined ? html`<pre class="stack">${stackBody(stack, type, error)}</pre>` : ''}
      </div>`
    : ''}
  ${rest.length > 0
    ? html`<dl class="kv">${rest.map(([k, v]) => html`<dt>${k === 'serverId' ? 'server' : k}</dt><dd>${value(k, v, now, servers)}</dd>`)}</dl>`
    : ''}`;
}
