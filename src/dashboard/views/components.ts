import { html } from 'hono/html';
import type { Json } from '../../storage/contract/index.js';
import { href, type PageContext, type QueryValue } from '../context.js';
import { jsonText, truncate } from './format.js';
import type { Html } from './html.js';

/** Page sizes offered under every list, as Hangfire's. */
export const PAGE_SIZES = [10, 20, 50, 100, 500] as const;

export interface Paging {
  page: number;
  size: number;
  total: number;
}

/** Pages numbered around the current one, first and last always shown. */
export function pager(page: PageContext, path: string, query: Record<string, QueryValue>, p: Paging): Html {
  const pages = Math.max(1, Math.ceil(p.total / p.size));
  const link = (n: number) => href(page.base, path, { ...query, page: n > 1 ? n : undefined, size: p.size !== 20 ? p.size : undefined });
  const numbers: Array<number | 'gap'> = [];
  for (let n = 1; n <= pages; n++) {
    if (n === 1 || n === pages || Math.abs(n - p.page) <= 2) numbers.push(n);
    else if (numbers[numbers.length - 1] !== 'gap') numbers.push('gap');
  }
  return html`<nav class="pager" aria-label="Pages">
  <span class="pages">
    ${p.page > 1 ? html`<a href="${link(p.page - 1)}" rel="prev">‹ Prev</a>` : html`<span class="disabled">‹ Prev</span>`}
    ${numbers.map((n) =>
      n === 'gap'
        ? html`<span class="gap">…</span>`
        : n === p.page
          ? html`<span class="current" aria-current="page">${n}</span>`
          : html`<a href="${link(n)}">${n}</a>`,
    )}
    ${p.page < pages ? html`<a href="${link(p.page + 1)}" rel="next">Next ›</a>` : html`<span class="disabled">Next ›</span>`}
  </span>
  <span class="sizes">Per page:
    ${PAGE_SIZES.map((size) =>
      size === p.size
        ? html`<span class="current">${size}</span>`
        : html`<a href="${href(page.base, path, { ...query, size: size !== 20 ? size : undefined })}">${size}</a>`,
    )}
  </span>
  <span class="total">${p.total.toLocaleString('en-US')} in all</span>
</nav>`;
}

/** The hidden fields every action form carries: the anti-forgery token and where to come back to. */
export function actionFields(page: PageContext, back: string): Html {
  return html`<input type="hidden" name="_csrf" value="${page.csrfToken}"><input type="hidden" name="back" value="${back}">`;
}

/** A button of a bulk action: disabled by the page script until a row is selected. */
export function bulkButton(op: string, label: string, options: { confirm?: string; danger?: boolean } = {}): Html {
  return html`<button type="submit" name="op" value="${op}" class="btn${options.danger ? ' danger' : ''}" data-bulk${
    options.confirm ? html` data-confirm="${options.confirm}"` : ''
  }>${label}</button>`;
}

/** The "select all" box of a table head. */
export function selectAll(): Html {
  return html`<input type="checkbox" data-select-all aria-label="Select all rows">`;
}

/** One row's box. */
export function selectRow(id: string, label: string): Html {
  return html`<input type="checkbox" name="ids" value="${id}" aria-label="Select ${label}">`;
}

/** An empty list's message. */
export function empty(message: string): Html {
  return html`<p class="empty">${message}</p>`;
}

/**
 * A list with bulk actions: the table inside a POST form with the toolbar, or (read-only, or
 * nothing to do) the bare table, so a read-only page holds no action form at all.
 */
export function actionForm(enabled: boolean, action: string, toolbar: Html, table: Html): Html {
  if (!enabled) return table;
  return html`<form method="post" action="${action}" class="list-form" data-list>${toolbar}${table}</form>`;
}

/**
 * What a job reported with `ctx.progress()`: a bar with its percentage when it is a number from
 * 0 to 100 (the usual use), else the value's JSON, as reported.
 */
export function progressBar(progress: Json | undefined): Html | string {
  if (progress === undefined) return '—';
  if (typeof progress === 'number' && progress >= 0 && progress <= 100) {
    const percent = Math.round(progress);
    return html`<span class="progress"><progress max="100" value="${percent}" aria-label="Progress ${percent}%"></progress> <span class="num">${percent}%</span></span>`;
  }
  return html`<code class="preview">${truncate(jsonText(progress), 60)}</code>`;
}
