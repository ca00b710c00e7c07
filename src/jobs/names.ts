import { ValidationError } from '../errors.js';

/** Queue names as Hangfire allows them: lowercase letters, digits, `_` and `-`, 1-100 characters. */
export const QUEUE_NAME = /^[a-z0-9_-]{1,100}$/;

export function checkQueueName(queue: unknown, field: string): string {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    throw new ValidationError(field, `must be 1-100 lowercase letters, digits, _ or -, got ${JSON.stringify(queue)}`);
  }
  return queue;
}
