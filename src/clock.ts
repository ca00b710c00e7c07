/** Where Kiln reads the time. Tests pass a fake one; everything else uses `systemClock`. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
