import type { Clock } from './clock.js';
import type { Storage } from './storage/contract/index.js';

/**
 * A sample whose round trip took longer than this is ignored: the storage read its clock
 * somewhere within the round trip, so half of it bounds the sample's error, and 500 ms of error
 * is worth nothing next to the samples a heartbeat brings every few seconds.
 */
export const MAX_SAMPLE_ROUND_TRIP_MS = 1_000;

/** How many recent samples the filter picks from (NTP's clock filter keeps 8). */
const WINDOW = 8;

/** The weight of a new estimate in the smoothed offset: jitter fades over a few heartbeats. */
const SMOOTHING = 0.3;

/**
 * An estimate this far from the smoothed offset is a step of one of the clocks (NTP stepping
 * the host's clock, a VM resumed), taken at once rather than smoothed in over a minute.
 */
const STEP_MS = 1_000;

/**
 * A measured offset smaller than this is taken as 0: on one host (the storage beside the server)
 * the true offset is 0 and what is measured is the sample's error, so correcting by it would only
 * set the server's clock a millisecond or two apart from the clients and servers beside it, which
 * do not correct (a client alone does not measure). Skews that matter between hosts are seconds.
 */
export const MIN_CORRECTION_MS = 10;

/**
 * How far a local clock is from the storage's, measured NTP-style: around one `storageTime()`
 * call read the local clock before (`t0`) and after (`t1`); the storage read its clock in
 * between, so `offset = storageTime − (t0 + t1) / 2`, wrong by at most half the round trip.
 * Of the last 8 samples the one with the shortest round trip is the best (NTP's clock filter),
 * samples with a round trip over `MAX_SAMPLE_ROUND_TRIP_MS` are dropped, and the estimate is
 * smoothed so that the correction does not jitter; a step over 1 s is taken at once.
 */
export class ClockOffset {
  private readonly samples: Array<{ offset: number; roundTrip: number }> = [];
  private smoothed: number | undefined;

  /** Milliseconds to add to the local clock to read the storage's: 0 until measured, and below `MIN_CORRECTION_MS`. */
  get ms(): number {
    if (this.smoothed === undefined || Math.abs(this.smoothed) < MIN_CORRECTION_MS) return 0;
    return Math.round(this.smoothed);
  }

  /** Whether a sample was taken. */
  get measured(): boolean {
    return this.smoothed !== undefined;
  }

  /** Takes one sample; false when it was ignored for its long (or negative) round trip. */
  add(t0: number, storageTime: number, t1: number): boolean {
    const roundTrip = t1 - t0;
    if (!(roundTrip >= 0 && roundTrip <= MAX_SAMPLE_ROUND_TRIP_MS) || !Number.isFinite(storageTime)) return false;
    this.samples.push({ offset: storageTime - (t0 + t1) / 2, roundTrip });
    if (this.samples.length > WINDOW) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.roundTrip < a.roundTrip ? b : a));
    if (this.smoothed === undefined || Math.abs(best.offset - this.smoothed) > STEP_MS) this.smoothed = best.offset;
    else this.smoothed += SMOOTHING * (best.offset - this.smoothed);
    return true;
  }
}

/** `base` corrected by `offset`: the time of the storage's clock, as well as it is known. */
export function correctedClock(base: Clock, offset: ClockOffset): Clock {
  return { now: () => base.now() + offset.ms };
}

/**
 * Measures one sample of `base`'s offset to `storage`'s clock into `offset`. Resolves to false
 * when the storage has no clock of its own (memory, SQLite: one host, one clock).
 */
export async function sampleOffset(storage: Storage, base: Clock, offset: ClockOffset): Promise<boolean> {
  const t0 = base.now();
  const time = await storage.storageTime();
  const t1 = base.now();
  if (time === null) return false;
  offset.add(t0, time, t1);
  return true;
}

const shared = new WeakMap<Storage, Map<Clock, ClockOffset>>();

/**
 * The one offset of `base` to `storage`'s clock in this process: every server on that storage
 * with that clock measures into it, and every client on it reads it, so a client shares the
 * correction of the servers beside it (a client alone does not measure: it has no heartbeat).
 */
export function sharedOffset(storage: Storage, base: Clock): ClockOffset {
  // Not a storage at all: the caller's own validation reports it, not a WeakMap TypeError here.
  if (typeof storage !== 'object' || storage === null) return new ClockOffset();
  let byClock = shared.get(storage);
  if (!byClock) shared.set(storage, (byClock = new Map()));
  let offset = byClock.get(base);
  if (!offset) byClock.set(base, (offset = new ClockOffset()));
  return offset;
}
