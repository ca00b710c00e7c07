/** Every error Kiln throws on purpose is a KilnError, so callers can tell them from their own. */
export class KilnError extends Error {
  override name = 'KilnError';
}

/**
 * Bad input to a public entry point. `field` names what was wrong (`args.to`, `options.delay`,
 * `queue`), so the message can be shown to the person who made the call. Nothing was written.
 */
export class ValidationError extends KilnError {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A client filter canceled the creation of a job; nothing was written. */
export class JobCreationCanceledError extends KilnError {
  override name = 'JobCreationCanceledError';
  constructor(
    readonly jobName: string,
    readonly reason: string,
  ) {
    super(`creation of job '${jobName}' was canceled by a filter: ${reason}`);
  }
}

/** A unique key matched an active job and `onDuplicate: 'throw'` was asked for; nothing was written. */
export class DuplicateJobError extends KilnError {
  override name = 'DuplicateJobError';
  constructor(
    readonly uniqueKey: string,
    readonly existingJobId: string,
  ) {
    super(`a job with unique key ${JSON.stringify(uniqueKey)} is already active: ${existingJobId}`);
  }
}
