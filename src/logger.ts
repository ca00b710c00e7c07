/**
 * Where Kiln writes what it does: the logger contract. Any object with these four methods is a
 * Logger; give it to `configure({ logger })` (every part of Kiln), or to one server, client,
 * storage or dashboard (`logger` option).
 *
 * - **Shape**: the message first, a plain, human-readable sentence; details second, an object of
 *   JSON-friendly fields, or nothing. The fields Kiln uses: `server` (the server's name, on every
 *   line of a server), `jobId` and `job` (the job's id and name, on every line of `ctx.logger`
 *   and of a job's own trouble), `error` (a thrown value's message, already text: see
 *   `errorMessage`), and a few of one line's own (`path`, `file`, `waitMs`, ...).
 * - **Levels**: `error`, Kiln could not do something it must (a completion that cannot be
 *   stored, an unknown job, a dashboard request that failed); `warn`, something went wrong and
 *   Kiln copes (a storage outage and its retries, once per outage, not per attempt; a job that
 *   failed); `info`, the life of a server (started, stopping, stopped); `debug`, per-job detail
 *   and migrations, which a busy server would otherwise write thousands of times a second.
 * - **Rules**: a call must return at once and never throw (Kiln logs from its hot path and from
 *   its error paths, where a throwing logger would turn one failure into two); what is written,
 *   and where, and at which level from, is the logger's business.
 *
 * Adapters: `consoleLogger()` (the default) writes one line per call to the console;
 * `pinoLogger(pino())` puts the details into pino's fields (pino and bunyan take the object
 * first, so they need it); winston's `logger.info(message, meta)` already has this shape and is
 * a Logger as it is. `childLogger(logger, fields)` adds fields to every line.
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
