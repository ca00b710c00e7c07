import { html } from 'hono/html';
import type { StateName } from '../../storage/contract/index.js';
import { href, type PageContext } from '../context.js';
import { assetPath } from '../assets/assets.js';
import type { Html } from './html.js';

export type Section = 'overview' | 'jobs' | 'retries' | 'recurring' | 'servers' | 'queues';

export interface LayoutOptions {
  /** The page's own title, before the dashboard's. */
  title: string;
  section: Section;
  /** Loads chart.js before the page script (overview only: it is 200 kB). */
  charts?: boolean;
  flash?: Flash | undefined;
}

/** The outcome of an action, carried to the next page in the query (codes only, never text). */
export interface Flash {
  kind: 'ok' | 'warn' | 'error';
  message: string;
}

/** The page frame: header, navigation, theme toggle, flash message. */
export function layout(page: PageContext, o: LayoutOptions, content: Html): Html {
  const { base } = page;
  const nav = (section: Section, path: string, label: string, count?: number) =>
    html`<a href="${href(base, path)}" class="${o.section === section ? 'active' : ''}"${o.section === section ? html` aria-current="page"` : ''}>${label}${
      count !== undefined ? html` <span class="count">${count}</span>` : ''
    }</a>`;
  const s = page.stats;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${o.title} · ${page.title}</title>
<link rel="stylesheet" href="${base}${assetPath('style.css')}">
${o.charts ? html`<script src="${base}${assetPath('chart.umd.min.js')}"></script>` : ''}
<script src="${base}${assetPath('app.js')}"></script>
</head>
<body data-base="${base}">
<header class="top">
  <a class="brand" href="${href(base, '/')}"><span class="logo" aria-hidden="true"></span>${page.title}</a>
  <nav class="main-nav" aria-label="Sections">
    ${nav('jobs', '/jobs/enqueued', 'Jobs')}
    ${nav('retries', '/retries', 'Retries')}
    ${nav('recurring', '/recurring', 'Recurring', s?.recurring)}
    ${nav('servers', '/servers', 'Servers', s?.servers)}
    ${nav('queues', '/queues', 'Queues')}
  </nav>
  ${page.readOnly ? html`<span class="badge readonly" title="Actions are disabled">read-only</span>` : ''}
  <button type="button" class="theme-toggle" data-theme-toggle title="Theme: auto" aria-label="Switch theme">◐</button>
</header>
<main>
${o.flash ? html`<p class="flash ${o.flash.kind}" role="status">${o.flash.message}</p>` : ''}
${content}
</main>
<footer class="foot">Kiln dashboard · <time datetime="${new Date(page.now).toISOString()}" title="${new Date(page.now).toISOString()}">rendered ${new Date(page.now).toISOString().replace('T', ' ').slice(0, 19)} UTC</time></footer>
</body>
</html>`;
}

/** The states in the order of the jobs menu, with their labels. */
export const STATE_MENU: ReadonlyArray<{ state: StateName; label: string }> = [
  { state: 'enqueued', label: 'Enqueued' },
  { state: 'scheduled', label: 'Scheduled' },
  { state: 'processing', label: 'Processing' },
  { state: 'succeeded', label: 'Succeeded' },
  { state: 'failed', label: 'Failed' },
  { state: 'deleted', label: 'Deleted' },
  { state: 'awaiting', label: 'Awaiting' },
];

/** The jobs section's side menu: one entry per state, with its count, and retries. */
export function jobsMenu(page: PageContext, current: StateName | 'retries'): Html {
  const counts = page.stats?.states;
  return html`<nav class="side" aria-label="Job states">
  ${STATE_MENU.map(
    ({ state, label }) =>
      html`<a href="${href(page.base, `/jobs/${state}`)}" class="${current === state ? 'active' : ''} st-${state}"${current === state ? html` aria-current="page"` : ''}>${label}<span class="count">${counts ? counts[state] : ''}</span></a>`,
  )}
  <a href="${href(page.base, '/retries')}" class="${current === 'retries' ? 'active' : ''}">Retries</a>
</nav>`;
}

/** A state's name as a coloured badge. */
export function stateBadge(state: string): Html {
  return html`<span class="state st-${state}">${state}</span>`;
}
