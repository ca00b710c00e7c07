import { describeError } from '../errors.js';
import type { JobLogLevel, JobLogLine, Json } from '../storage/contract/index.js';
import { MAX_JOB_LOG_FIELDS_BYTES, MAX_JOB_LOG_MESSAGE } from '../storage/contract/index.js';

/**
 * Turns what a job passed to `ctx.logger` into a line every backend can store, whatever it was:
 * the message as text cut to `MAX_JOB_LOG_MESSAGE` characters; the details as JSON, with errors
 * described (`describeError`), BigInts as text, functions and symbols left out, a repeated object
 * shown as `"[Circular]"`, and details larger than `MAX_JOB_LOG_FIELDS_BYTES` replaced by their cut
 * JSON text. Never throws: a getter that throws turns the details into what it threw.
 */
export function toJobLogLine(level: JobLogLevel, message: unknown, details: Record<string, unknown> | undefined, at: number): JobLogLine {
  const line: JobLogLine = { level, message: cut(typeof message === 'string' ? message : describeError(message).message, MAX_JOB_LOG_MESSAGE), at };
  if (details === undefined || details === null || typeof details !== 'object') return line;
  const fields = storableFields(details);
  if (fields !== undefined) line.fields = fields;
  return line;
}

function storableFields(details: object): { [key: string]: Json } | undefined {
  let json: string | undefined;
  try {
    const seen = new WeakSet<object>();
    json = JSON.stringify(details, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) {
        const d = describeError(value);
        return { type: d.type, message: d.message };
      }
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[Circular]';
        seen.add(value);
      }
      return value;
    });
  } catch (e) {
    return { unserializable: describeError(e).message };
  }
  if (json === undefined || json === '{}') return undefined;
  if (Buffer.byteLength(json) > MAX_JOB_LOG_FIELDS_BYTES) return { truncated: cut(json, MAX_JOB_LOG_FIELDS_BYTES / 4) };
  const parsed = JSON.parse(json) as unknown;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { [key: string]: Json }) : { value: parsed as Json };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
