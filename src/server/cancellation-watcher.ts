import type { Logger } from '../logger.js';
import type { StorageEvent } from '../storage/contract/index.js';

/**
 * Aborts the `ctx.signal` of a running job the moment storage reports it was taken away (deleted
 * or requeued from the dashboard or a client), so `delete` cancels a running job at once. The
 * heartbeat's lease renewal (every 5 s) is the fallback when an event is missed.
 */
export class CancellationWatcher {
  constructor(
    private readonly abort: (jobId: string, reason: string) => boolean,
    private readonly logger: Logger,
  ) {}

  handle(event: StorageEvent): void {
    if (event.type !== 'aborted') return;
    if (this.abort(event.jobId, 'The job was deleted or moved to another state while it ran')) {
      this.logger.info('running job taken away: its signal is aborted', { jobId: event.jobId });
    }
  }
}
