import type { Hono } from 'hono';
import { ValidationError } from '../../errors.js';
import { STATE_NAMES, type StateName } from '../../storage/contract/index.js';
import type { Ctx, DashboardDeps, DashboardEnv } from '../context.js';
import { QUEUE_ACTIONS, type QueueAction } from '../queue-control.js';
import { RECURRING_ACTIONS, type RecurringAction } from '../recurring-control.js';

/** The most ids one action takes: a page of 500 rows, with room to spare. */
export const MAX_IDS = 1000;

/** A form as Hono parses it with `{ all: true }`. */
type Form = Record<string, string | File | Array<string | File>>;

export function formValues(form: Form, name: string): string[] {
  const v = form[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string');
}

export function formValue(form: Form, name: string): string | undefined {
  return formValues(form, name)[0];
}

/** The stand-in origin `back` is resolved against. */
const ORIGIN = 'http://dashboard.invalid';

/**
 * Where to go after an action: the page it was posted from (`back`, a path inside the
 * dashboard), with the outcome in the query. `back` is normalised first (dot segments, `\`
 * turned into `/`, as a browser reads it) and checked after: anything that is not then a plain
 * absolute path (`//x`, `/.//x`, `/\x`, a scheme) falls back to the overview: no open redirect.
 */
export function redirectAfter(c: Ctx, back: string | undefined, outcome: Record<string, string | number>): Response {
  const base = c.get('page').base;
  const url = localPath(back) ?? new URL('/', ORIGIN);
  for (const key of ['done', 'n', 'of']) url.searchParams.delete(key);
  for (const [key, value] of Object.entries(outcome)) url.searchParams.set(key, String(value));
  return c.redirect(`${base}${url.pathname}${url.search}`, 303);
}

/** `back` as a URL of a path inside the dashboard, or undefined when it is anything else. */
function localPath(back: string | undefined): URL | undefined {
  if (back === undefined || back.length > 2000 || !back.startsWith('/')) return undefined;
  let url: URL;
  try {
    url = new URL(back, ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== ORIGIN) return undefined;
  return /^\/(?![/\\])[^\s\\]*$/.test(url.pathname) ? url : undefined;
}

/** Runs one action; a `ValidationError` (no such recurring job, a malformed id) counts as not applied. */
async function refusedAsFalse<T>(action: () => Promise<T>): Promise<T | false> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ValidationError) return false;
    throw error;
  }
}

function ids(form: Form): string[] {
  return [...new Set(formValues(form, 'ids').filter((id) => id.length > 0 && id.length <= 100))].slice(0, MAX_IDS);
}

/**
 * The actions. Each is a POST (the anti-forgery check runs before, in the dashboard's
 * middleware) and goes through `JobClient`, so the state machine, its compare-and-set on the
 * state the user saw (`from`), and the client's filters apply as for any other caller. Then
 * Post/Redirect/Get back to the page, with the outcome counted.
 */
export function actionRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  const { client } = d.options;

  app.post('/actions/jobs', async (c) => {
    const form = (await c.req.parseBody({ all: true })) as Form;
    const back = formValue(form, 'back');
    const op = formValue(form, 'op');
    const from = formValue(form, 'from') as StateName | undefined;
    if ((op !== 'requeue' && op !== 'delete') || (from !== undefined && !STATE_NAMES.includes(from))) {
      return redirectAfter(c, back, { done: 'unavailable' });
    }
    const selected = ids(form);
    if (selected.length === 0) return redirectAfter(c, back, { done: 'none' });
    const condition = from === undefined ? {} : { fromState: from };
    let applied = 0;
    for (const id of selected) {
      const ok = await refusedAsFalse(() =>
        op === 'requeue'
          ? client.requeue(id, condition, 'Requeued from the dashboard')
          : client.delete(id, condition, 'Deleted from the dashboard'),
      );
      if (ok) applied++;
    }
    // A scheduled or awaiting job moved to its queue was enqueued ("Enqueue now"), not requeued.
    const done = op === 'requeue' && (from === 'scheduled' || from === 'awaiting') ? 'enqueue' : op;
    return redirectAfter(c, back, { done, n: applied, of: selected.length });
  });

  app.post('/actions/recurring', async (c) => {
    const form = (await c.req.parseBody({ all: true })) as Form;
    const back = formValue(form, 'back');
    const op = formValue(form, 'op') as RecurringAction | undefined;
    if (!d.recurring || op === undefined || !RECURRING_ACTIONS.includes(op)) return redirectAfter(c, back, { done: 'unavailable' });
    const selected = ids(form);
    if (selected.length === 0) return redirectAfter(c, back, { done: 'none' });
    let applied = 0;
    const recurring = d.recurring;
    for (const id of selected) {
      const result = await refusedAsFalse<string | boolean>(() => recurring[op](id));
      if (result !== false && result !== '') applied++;
    }
    return redirectAfter(c, back, { done: op, n: applied, of: selected.length });
  });
}

/**
 * Pauses or resumes one queue (`queue`) through `JobClient.queues`. A queue that already was in
 * that state counts as not applied; a malformed name is refused by the client and counts so too.
 */
export function queueActionRoutes(app: Hono<DashboardEnv>, d: DashboardDeps): void {
  app.post('/actions/queues', async (c) => {
    const form = (await c.req.parseBody({ all: true })) as Form;
    const back = formValue(form, 'back');
    const op = formValue(form, 'op') as QueueAction | undefined;
    const queue = formValue(form, 'queue');
    if (!d.queues || op === undefined || !QUEUE_ACTIONS.includes(op)) return redirectAfter(c, back, { done: 'unavailable' });
    if (!queue) return redirectAfter(c, back, { done: 'none' });
    const queues = d.queues;
    const applied = await refusedAsFalse(() => queues[op](queue));
    return redirectAfter(c, back, { done: `${op}-queue`, n: applied ? 1 : 0, of: 1 });
  });
}
