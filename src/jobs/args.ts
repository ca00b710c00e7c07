import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError, errorMessage } from '../errors.js';
import type { Json } from '../storage/contract/index.js';

/**
 * The deepest nesting accepted in arguments, parameters, progress and results: far deeper than
 * data ever is, far shallower than what overflows a stack (`JSON.stringify`, a schema library) or
 * what Redis's cjson decodes (1,000 levels).
 */
export const MAX_JSON_DEPTH = 500;

/**
 * Checks that `value` survives a JSON round trip unchanged and returns its JSON text. Rejects,
 * naming the path: functions, symbols, BigInt, NaN and Infinity, `undefined` inside arrays,
 * cycles, nesting deeper than `MAX_JSON_DEPTH`, and objects that are not plain (Date, Map, class
 * instances), because JSON would silently turn them into something else and the job would run
 * with other arguments than were given. Walks without recursion, so no depth overflows a stack.
 */
export function toJsonText(value: unknown, field: string): string {
  checkJson(value, field);
  return readSafely(() => JSON.stringify(value ?? null), field);
}

/** The checks of `toJsonText`, without making the text. */
export function checkJson(value: unknown, field: string): void {
  readSafely(() => walkJson(value, field, 'data'), field);
}

/** Runs `read`; a getter or proxy that throws while being read becomes a ValidationError. */
function readSafely<T>(read: () => T, field: string): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw new ValidationError(field, `could not be read as JSON: ${errorMessage(e)}`);
  }
}

/**
 * A job's return value as JSON text, or why it cannot be stored. `undefined` (no `return`) is a
 * normal "no result" and stored as `null`. A result is output, not input that must come back
 * identical, so it is read as `JSON.stringify` reads it: a `Date` (or anything with `toJSON`)
 * becomes what its `toJSON` returns (an ISO string), a class instance its own enumerable fields,
 * `undefined` fields are left out. What JSON would silently lose is refused: BigInt, functions,
 * symbols, NaN and Infinity, cycles, Map/Set and other built-ins that would become `{}`, and
 * nesting past `MAX_JSON_DEPTH`. The attempt then fails with the reason, instead of succeeding
 * with a result that is not what the job returned.
 */
export function resultText(value: unknown): { text: string; problem?: undefined } | { text?: undefined; problem: string } {
  if (value === undefined) return { text: 'null' };
  try {
    walkJson(value, 'result', 'result');
    return { text: JSON.stringify(value) ?? 'null' };
  } catch (e) {
    return { problem: e instanceof ValidationError ? e.message : `result: cannot be turned into JSON: ${errorMessage(e)}` };
  }
}

/** JSON `value` as an object of parameters, within the size limit (the same as arguments'). */
export function parametersFrom(value: unknown, field: string, limitBytes: number): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, 'must be an object');
  const text = toJsonText(value, field);
  checkSize(text, field, limitBytes);
  return JSON.parse(text) as Record<string, Json>;
}

/** Throws when `text` is more than `limitBytes` bytes of UTF-8. */
export function checkSize(text: string, field: string, limitBytes: number): void {
  // A string of n UTF-16 units is at most 3n bytes: measure only when it may be over.
  if (text.length * 3 <= limitBytes) return;
  const size = Buffer.byteLength(text);
  if (size > limitBytes) throw new ValidationError(field, `is ${size} bytes of JSON, over the limit of ${limitBytes} (configure({ maxArgsBytes }))`);
}

/** Built-ins that `JSON.stringify` turns into `{}` (or a bag of indexes) without a word. */
const LOSSY = [Map, Set, WeakMap, WeakSet, Promise, RegExp, Error, ArrayBuffer] as const;

type Frame = { value: unknown; path: string; depth: number; jsonified?: boolean } | { leave: object };

/**
 * The one JSON walk: depth first with its own stack (never recursion), tracking the objects on
 * the current path to find cycles (an object shared by two branches is fine: JSON copies it).
 * `data` mode is strict (arguments, parameters, progress); `result` mode reads as
 * `JSON.stringify` does but refuses what it would lose (see `resultText`).
 */
function walkJson(root: unknown, field: string, mode: 'data' | 'result'): void {
  const stack: Frame[] = [{ value: root, path: field, depth: 0 }];
  const onPath = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ('leave' in frame) {
      onPath.delete(frame.leave);
      continue;
    }
    const { value, path, depth } = frame;
    switch (typeof value) {
      case 'string':
      case 'boolean':
      case 'undefined':
        continue;
      case 'number':
        if (!Number.isFinite(value)) throw new ValidationError(path, `${value} is not JSON (only finite numbers are)`);
        continue;
      case 'bigint':
        throw new ValidationError(path, 'a BigInt is not JSON; pass it as a string');
      case 'function':
        throw new ValidationError(path, 'a function is not JSON; jobs take data, not code');
      case 'symbol':
        throw new ValidationError(path, 'a symbol is not JSON');
    }
    if (value === null) continue;
    const obj = value as object;
    if (mode === 'result' && !frame.jsonified && typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
      const replaced: unknown = (obj as { toJSON(key: string): unknown }).toJSON('');
      stack.push({ value: replaced, path, depth, jsonified: true });
      continue;
    }
    if (depth >= MAX_JSON_DEPTH) throw new ValidationError(path, `is nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (onPath.has(obj)) throw new ValidationError(path, 'contains a cycle (an object that refers to itself)');
    const isArray = Array.isArray(obj);
    if (!isArray) checkObjectKind(obj, path, mode);
    onPath.add(obj);
    stack.push({ leave: obj });
    if (isArray) {
      const items = obj as unknown[];
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i];
        if (item === undefined && mode === 'data') throw new ValidationError(`${path}[${i}]`, 'undefined in an array is not JSON (it would become null)');
        stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 });
      }
    } else {
      const keys = Object.keys(obj);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push({ value: (obj as Record<string, unknown>)[key], path: `${path}.${key}`, depth: depth + 1 });
      }
    }
  }
}

function checkObjectKind(obj: object, path: string, mode: 'data' | 'result'): void {
  if (mode === 'result') {
    if (LOSSY.some((kind) => obj instanceof kind) || ArrayBuffer.isView(obj)) throw new ValidationError(path, `a ${kindOf(obj)} is not JSON (it would be stored as {} or a bag of indexes); return plain data`);
    return;
  }
  const proto = Object.getPrototypeOf(obj) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const hint = obj instanceof Date ? '; pass date.toISOString() or a timestamp' : '';
    throw new ValidationError(path, `a ${kindOf(obj)} is not plain JSON data${hint}`);
  }
}

function kindOf(obj: object): string {
  try {
    const name = (obj as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'object';
  } catch {
    return 'object';
  }
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
