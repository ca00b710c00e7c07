import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError } from '../errors.js';
import type { Json } from '../storage/contract/index.js';

/**
 * Checks that `value` survives a JSON round trip unchanged and returns its JSON text. Rejects,
 * naming the path: functions, symbols, BigInt, NaN and Infinity, `undefined` inside arrays,
 * cycles, and objects that are not plain (Date, Map, class instances), because JSON would silently
 * turn them into something else and the job would run with other arguments than were given.
 */
export function toJsonText(value: unknown, field: string): string {
  check(value, field, new Set());
  return JSON.stringify(value ?? null);
}

function check(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(path, `${value} is not JSON (only finite numbers are)`);
      return;
    case 'undefined':
      return;
    case 'bigint':
      throw new ValidationError(path, 'a BigInt is not JSON; pass it as a string');
    case 'function':
      throw new ValidationError(path, 'a function is not JSON; jobs take data, not code');
    case 'symbol':
      throw new ValidationError(path, 'a symbol is not JSON');
  }
  if (value === null) return;
  const obj = value as object;
  if (seen.has(obj)) throw new ValidationError(path, 'contains a cycle (an object that refers to itself)');
  if (Array.isArray(obj)) {
    seen.add(obj);
    obj.forEach((item: unknown, i) => {
      if (item === undefined) throw new ValidationError(`${path}[${i}]`, 'undefined in an array is not JSON (it would become null)');
      check(item, `${path}[${i}]`, seen);
    });
    seen.delete(obj);
    return;
  }
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    const hint = obj instanceof Date ? '; pass date.toISOString() or a timestamp' : '';
    throw new ValidationError(path, `a ${kind} is not plain JSON data${hint}`);
  }
  seen.add(obj);
  for (const [key, item] of Object.entries(obj)) check(item, `${path}.${key}`, seen);
  seen.delete(obj);
}

/** Runs a Standard Schema (zod, valibot, arktype, ...) and throws a ValidationError naming the failing field. */
export async function validateWithSchema<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  field: string,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    const issue = result.issues[0]!;
    const path = (issue.path ?? [])
      .map((p) => (typeof p === 'object' ? p.key : p))
      .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
      .join('');
    const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more issue(s))` : '';
    throw new ValidationError(`${field}${path}`, `${issue.message}${more}`);
  }
  return result.value as StandardSchemaV1.InferOutput<S>;
}

/** Parses stored JSON text back to a value. */
export function fromJsonText(text: string | null): Json {
  return text === null ? null : (JSON.parse(text) as Json);
}
