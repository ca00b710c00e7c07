/**
 * A queue's limits, stored per queue and enforced by `fetch` across every server (see
 * `FetchOptions`). `null` means no limit of that kind.
 */
export interface QueueLimits {
  /** At most this many of the queue's jobs `processing` at once; a whole number from 1 to `MAX_LIMIT`. */
  concurrency: number | null;
  /**
   * At most `max` of the queue's jobs started in any window of `perMs` ms; `max` from 1 to
   * `MAX_LIMIT`, `perMs` from 1 to `MAX_RATE_WINDOW_MS`.
   */
  rate: { max: number; perMs: number } | null;
}

/** A queue's stored settings: whether it is paused, and its limits. */
export interface QueueSettings extends QueueLimits {
  queue: string;
  paused: boolean;
}

/**
 * Queue control: pausing queues, setting their limits, and telling the engine when a claim held
 * back by a rate limit can succeed again. A queue needs no creating: settings are stored for a
 * queue name the first time one is set (a queue may be paused or limited before any job of it
 * exists), and a queue with no settings is unpaused and unlimited.
 */
export interface QueueControl {
  /**
   * Pauses or resumes a queue. While paused, `fetch` claims none of its jobs (from the next claim
   * on: a claim already running may finish), jobs may still be created in it, and jobs already
   * processing run on. Resuming publishes an `enqueued` wake-up for the queue (as creating a job
   * does), so idle servers fetch at once. Returns true when the flag changed, false when the
   * queue already was in that state.
   */
  setQueuePaused(queue: string, paused: boolean): Promise<boolean>;
  /**
   * Replaces a queue's limits (both kinds at once; `null` removes one). Publishes an `enqueued`
   * wake-up for the queue, as a looser limit may allow claims now. Starts recorded before stay
   * counted against a new rate limit.
   */
  setQueueLimits(queue: string, limits: QueueLimits): Promise<void>;
  /**
   * When a claim held back by a rate limit can succeed again: the earliest time after `now` at
   * which a full rate window reopens, over the rate keys that some enqueued job of `queues`
   * carries and the rate-limited queues among `queues` that have enqueued jobs, counting only
   * windows that are full at `now` (a window reopens when its oldest counted start, that is the
   * `max`-th most recent one, becomes `perMs` old: at `start + perMs`). Paused queues are left
   * out. `null` when no enqueued job of these queues waits on a full window: nothing to wait for.
   *
   * The engine calls it only when rate limits are in use, after a claim came back short, and
   * sets a timer for the answer instead of polling. The answer may be early (a claim at that time
   * then finds the window still full, or the job gone, and the engine asks again) but never
   * later than the true reopening. Reads only.
   */
  nextRateSlot(queues: string[], now: number): Promise<number | null>;
}
