/** Translation between recurring definitions and their hashes (`rec:<id>`, see keys.ts). */
import type { RecurringJobRecord } from '../contract/index.js';
import { num, optNumber, pairs } from './codec.js';

/** Field/value pairs of a recurring definition's hash, `null`s left out. */
export function encodeRecurring(r: RecurringJobRecord): string[] {
  const out = [
    'name', r.name,
    'queue', r.queue,
    'args', r.args,
    'cron', r.cron,
    'timeZone', r.timeZone,
    'misfire', r.misfire,
    'paused', r.paused ? '1' : '0',
    'createdAt', num(r.createdAt),
  ];
  if (r.nextExecution !== null) out.push('nextExecution', num(r.nextExecution));
  if (r.lastExecution !== null) out.push('lastExecution', num(r.lastExecution));
  if (r.lastJobId !== null) out.push('lastJobId', r.lastJobId);
  if (r.error !== null) out.push('error', r.error);
  return out;
}

export function decodeRecurring(id: string, flat: unknown): RecurringJobRecord {
  const m = pairs(flat);
  return {
    id,
    name: m.get('name') ?? '',
    queue: m.get('queue') ?? '',
    args: m.get('args') ?? '',
    cron: m.get('cron') ?? '',
    timeZone: m.get('timeZone') ?? '',
    misfire: (m.get('misfire') ?? 'relaxed') as RecurringJobRecord['misfire'],
    nextExecution: optNumber(m.get('nextExecution')),
    lastExecution: optNumber(m.get('lastExecution')),
    lastJobId: m.get('lastJobId') ?? null,
    paused: m.get('paused') === '1',
    createdAt: Number(m.get('createdAt')),
    error: m.get('error') ?? null,
  };
}
