import type { Logger } from '../logger.js';

/**
 * SIGINT and SIGTERM handlers for a server (`ServerOptions.handleSignals`): the first signal
 * starts a graceful shutdown, and once it is done the signal is raised again, so the process ends
 * as it would have without Kiln. Installed with `once`, so a second signal during the shutdown
 * ends the process at once.
 */
export class SignalHandlers {
  private handler: ((signal: NodeJS.Signals) => void) | undefined;

  constructor(
    private readonly dispose: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  install(): void {
    this.handler = (signal) => {
      this.logger.info(`${signal} received: shutting down gracefully`);
      void this.dispose().finally(() => process.kill(process.pid, signal));
    };
    process.once('SIGINT', this.handler);
    process.once('SIGTERM', this.handler);
  }

  remove(): void {
    if (!this.handler) return;
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    this.handler = undefined;
  }
}
