// The jobs of examples/cpu-heavy.ts, in a module of their own: each worker thread imports this file
// to find them (`module: import.meta.url`), so it defines jobs and does nothing else.
import { defineJob } from '../src/index.js';

/** Counts the primes below `below` by trial division: seconds of pure CPU for a few million. */
export const countPrimes = defineJob({
  name: 'count-primes',
  isolation: 'worker', // a worker thread from the server's pool; 'process' for a child process
  module: import.meta.url,
  run: ({ below }: { below: number }, ctx) => {
    let count = 0;
    for (let n = 2; n < below; n++) {
      let prime = true;
      for (let d = 2; d * d <= n; d++) {
        if (n % d === 0) {
          prime = false;
          break;
        }
      }
      if (prime) count++;
      if (n % 500_000 === 0) ctx.progress(Math.round((n / below) * 100)); // stored by the server
    }
    ctx.progress(100);
    ctx.logger.info(`${count} primes below ${below}`); // logged by the server, with the job's id
    return count;
  },
});

/** A job that never ends by itself: its timeout ends its worker thread, hard. */
export const runaway = defineJob({
  name: 'runaway',
  isolation: 'worker',
  module: import.meta.url,
  timeout: '1s',
  retry: { attempts: 0 },
  run: (_: null) => {
    for (;;) {
      // a bug: an endless loop that no AbortSignal could interrupt
    }
  },
});
