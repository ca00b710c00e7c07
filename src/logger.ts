/**
 * Where Kiln writes what it does: any object with these four methods, message first, details
 * (jobId, job, server, error) second. For pino, whose methods take the object first, wrap it:
 * `pinoLogger(pino())`.
 */
export interface Logger {
  debug(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

function write(level: 'debug' | 'info' | 'warn' | 'error', prefix: string) {
  return (message: string, details?: Record<string, unknown>): void => {
    let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${prefix}${message}`;
    for (const [key, value] of Object.entries(details ?? {})) {
      line += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    }
    console[level](line);
  };
}

/**
 * The default logger: info and above to the console. Debug lines are written only when
 * `KILN_DEBUG` is set, because a busy server would otherwise log every job.
 */
export function consoleLogger(prefix = 'kiln: '): Logger {
  const debug = process.env['KILN_DEBUG'] ? write('debug', prefix) : () => {};
  return { debug, info: write('info', prefix), warn: write('warn', prefix), error: write('error', prefix) };
}

/** A logger that writes nothing, for tests and embedding. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The same logger with fixed details added to every line (a job id, a server id). */
export function childLogger(parent: Logger, fixed: Record<string, unknown>): Logger {
  return {
    debug: (m, d) => parent.debug(m, { ...fixed, ...d }),
    info: (m, d) => parent.info(m, { ...fixed, ...d }),
    warn: (m, d) => parent.warn(m, { ...fixed, ...d }),
    error: (m, d) => parent.error(m, { ...fixed, ...d }),
  };
}
