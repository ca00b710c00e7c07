import { html } from 'hono/html';
import { href, type PageContext } from '../context.js';
import type { Html } from './html.js';

/** The page for a dashboard address that leads nowhere, in the dashboard's own frame. */
export function notFoundPage(page: PageContext, path: string): Html {
  return html`<section class="content not-found"><h1>Page not found</h1>
  <p>The dashboard has no page at <code>${path}</code>.</p>
  <p><a href="${href(page.base, '/')}">Overview</a> · <a href="${href(page.base, '/jobs/enqueued')}">Jobs</a> · <a href="${href(page.base, '/recurring')}">Recurring jobs</a> · <a href="${href(page.base, '/servers')}">Servers</a></p></section>`;
}
