import type { Logger } from '../logger.js';

/**
 * What `pinoLogger` needs of a pino logger (or a child of one): pino's own method shape, object
 * first. Declared here so that Kiln does not depend on pino; any pino version fits it.
 */
export interface PinoLike {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Kiln's logger on top of pino: `configure({ logger: pinoLogger(pino()) })`.
 *
 * Kiln calls `logger.info(message, details)`; pino takes the object first and reads a second
 * string as the message, so a pino instance given as it is would log the message alone and
 * drop the details (jobId, job, server). The adapter swaps the two, keeps every detail as a pino
 * field, and hands an `Error` found under `error` or `err` to pino as `err`, so pino's error
 * serializer keeps its type, message and stack. Levels map one to one; pino's own level decides
 * what is written (Kiln's `KILN_DEBUG` is for the console logger only).
 */
export function pinoLogger(pino: PinoLike): Logger {
  const forward = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, details?: Record<string, unknown>) => {
    const fields: Record<string, unknown> = { ...details };
    for (const key of ['error', 'err']) {
      const value = fields[key];
      if (value instanceof Error) {
        delete fields[key];
        fields['err'] = value;
      }
    }
    pino[level](fields, message);
  };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
