import { checkSize, toJsonText } from '../../jobs/args.js';
import type { JobContext } from '../../jobs/context.js';
import type { Logger } from '../../logger.js';
import type { Json } from '../../storage/contract/index.js';
import type { FromExecutor, IsolatedContextData } from './protocol.js';

/**
 * The `ctx` of a job running isolated: its fields as the server gave them; `progress` and
 * `logger` lines travel to the server, which stores and logs them as for any job. `signal` never
 * aborts here: when the job must stop (timeout, deletion, shutdown), the server ends the whole
 * thread or process instead.
 */
export function isolatedContext(data: IsolatedContextData, maxProgressBytes: number, send: (message: FromExecutor) => void): JobContext {
  const line =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, details?: Record<string, unknown>): void => {
      const text = typeof message === 'string' ? message : String(message);
      try {
        send({ type: 'log', level, message: text, ...(details === undefined ? {} : { details }) });
      } catch {
        // Details that cannot be copied to the server (functions, sockets): the line without them.
        send({ type: 'log', level, message: `${text} (details not copyable)` });
      }
    };
  const logger: Logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  return {
    ...data,
    signal: new AbortController().signal,
    logger,
    /** Checked here, where the job called it, as on the server: plain JSON within `maxArgsBytes`. */
    progress(value: Json): void {
      const text = toJsonText(value, 'progress');
      checkSize(text, 'progress', maxProgressBytes);
      send({ type: 'progress', value: JSON.parse(text) as Json });
    },
  };
}
