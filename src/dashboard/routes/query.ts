import type { Ctx } from '../context.js';
import type { Flash } from '../views/layout.js';

/** The longest search or filter value accepted; longer ones are cut. */
const MAX_FILTER = 200;

/** A single query value, trimmed and bounded; undefined when empty. */
export function queryText(c: Ctx, name: string): string | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  const t = v.trim().slice(0, MAX_FILTER);
  return t === '' ? undefined : t;
}

/** `page` (1-based) and `size` from the query; size bounded to 1..500, default the dashboard's. */
export function paging(c: Ctx, defaultSize: number): { page: number; size: number; offset: number } {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const n = Number.parseInt(c.req.query(name) ?? '', 10);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  };
  const size = int('size', defaultSize, 1, 500);
  const page = int('page', 1, 1, 1_000_000);
  return { page, size, offset: (page - 1) * size };
}

const VERBS: Record<string, string> = {
  requeue: 'Requeued',
  enqueue: 'Enqueued',
  delete: 'Deleted',
  trigger: 'Triggered',
  pause: 'Paused',
  resume: 'Resumed',
  remove: 'Removed',
  'pause-queue': 'Paused',
  'resume-queue': 'Resumed',
};

/** What an action's outcome counts, by its `done` code. */
function counted(done: string, of: number): string {
  if (done === 'requeue' || done === 'enqueue' || done === 'delete') return of === 1 ? 'job' : 'jobs';
  if (done.endsWith('-queue')) return of === 1 ? 'queue' : 'queues';
  return of === 1 ? 'recurring job' : 'recurring jobs';
}

/**
 * The outcome of the last action, from `?done=<op>&n=<applied>&of=<selected>`. Only codes and
 * numbers travel in the URL, so a crafted link cannot make the dashboard say anything else.
 */
export function flashOf(c: Ctx): Flash | undefined {
  const done = c.req.query('done');
  if (done === undefined) return undefined;
  if (done === 'none') return { kind: 'warn', message: 'Nothing was selected.' };
  if (done === 'unavailable') return { kind: 'error', message: 'This action is not available.' };
  const verb = VERBS[done];
  if (!verb) return undefined;
  const n = Math.max(0, Number.parseInt(c.req.query('n') ?? '0', 10) || 0);
  const of = Math.max(n, Number.parseInt(c.req.query('of') ?? '0', 10) || 0);
  const what = counted(done, of);
  if (n === of) return { kind: 'ok', message: `${verb} ${n} ${what}.` };
  return { kind: 'warn', message: `${verb} ${n} of ${of} ${what}; the others had changed state or are gone.` };
}
