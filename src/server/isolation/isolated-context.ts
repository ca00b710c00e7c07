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
export class IsolatedContext implements JobContext {
  readonly jobId: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;
  readonly parameters: Readonly<Record<string, Json>>;
  readonly parentResult: Json | undefined;
  readonly serverId: string;
  readonly signal: AbortSignal = new AbortController().signal;
  readonly logger: Logger;

  constructor(
    data: IsolatedContextData,
    private readonly maxProgressBytes: number,
    private readonly send: (message: FromExecutor) => void,
  ) {
    this.jobId = data.jobId;
    this.name = data.name;
    this.queue = data.queue;
    this.attempt = data.attempt;
    this.parameters = data.parameters;
    this.parentResult = data.parentResult;
    this.serverId = data.serverId;
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
    this.logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  }

  /** Checked here, where the job called it, as on the server: plain JSON within `maxArgsBytes`. */
  readonly progress = (value: Json): void => {
    const text = toJsonText(value, 'progress');
    checkSize(text, 'progress', this.maxProgressBytes);
    this.send({ type: 'progress', value: JSON.parse(text) as Json });
  };
}
