import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobEvent } from './contract/index.js';

interface Listener {
  onEvent: (event: JobEvent) => void;
  onGap: (() => void) | undefined;
}

/**
 * The job-event subscribers of one storage instance, for every backend: whether there are any
 * (the instance announces itself in storage while there are), and delivery that keeps one
 * throwing listener from the others. A listener that unsubscribes while an event is delivered
 * still gets that event.
 */
export class JobEventListeners {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.listeners.size;
  }

  /** Adds a listener; returns how to remove it. */
  add(onEvent: (event: JobEvent) => void, onGap: (() => void) | undefined): () => void {
    const listener: Listener = { onEvent, onGap };
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  deliver(event: JobEvent): void {
    for (const l of [...this.listeners]) this.call(() => l.onEvent(event));
  }

  /** Some events may have been lost: tells every listener that can re-read what it waits for. */
  gap(): void {
    for (const l of [...this.listeners]) if (l.onGap) this.call(l.onGap);
  }

  clear(): void {
    this.listeners.clear();
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error('a job event listener threw', { error: errorMessage(error) });
    }
  }
}
