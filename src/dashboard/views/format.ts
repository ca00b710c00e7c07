import { html } from 'hono/html';
import type { Json } from '../../storage/contract/index.js';
import type { Html } from './html.js';

/** `3 s`, `5 min`, `2 h`, `4 d`: the coarse age people read at a glance. */
export function duration(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 1) return `${Math.round(Math.abs(ms))} ms`;
  if (Math.round(s) < 60) return `${Math.round(s)} s`;
  if (Math.round(s / 60) < 60) return `${Math.round(s / 60)} min`;
  if (Math.round(s / 3600) < 24) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** `5 min ago` or `in 5 min`. */
export function relative(at: number, now: number): string {
  const d = at - now;
  if (Math.abs(d) < 1000) return 'just now';
  return d < 0 ? `${duration(d)} ago` : `in ${duration(d)}`;
}

/**
 * A time: relative text, the exact UTC time as the tooltip; the page script turns the tooltip
 * into the reader's local time. A stored value no Date can hold (written before Kiln checked
 * times, or by another tool) is shown as the number it is, so the page still renders and the job
 * can still be acted on.
 */
export function time(at: number | null | undefined, now: number): Html {
  if (at === null || at === undefined) return html`<span class="muted">—</span>`;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return html`<span class="muted" title="not a valid time">${String(at)} (not a valid time)</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}" title="${iso}">${relative(at, now)}</time>`;
}

/** JSON text, pretty-printed when it parses; the raw text otherwise. */
export function prettyJson(text: string | null): string {
  if (text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A JSON value as readable text: strings as they are, anything else as JSON. */
export function jsonText(value: Json | undefined, pretty = false): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, pretty ? 2 : undefined);
}

/** At most `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first line of a message. */
export function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i === -1 ? text : text.slice(0, i);
}
