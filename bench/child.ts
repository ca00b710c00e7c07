/**
 * A worker process for the multi-process drain and the peak-RSS workloads. Started by the
 * parent with `fork`; talks over IPC:
 *
 *   child → {t:'ready'}                       the system is constructed, nothing is running yet
 *   parent → {t:'go'}                         start the worker
 *   child → {t:'progress', count, first, last, peakRss}   every 20 ms while jobs run (epoch ms, sub-ms)
 *   parent → {t:'stop'}                       stop the worker gracefully, close, report and exit
 *   child → {t:'stopped', count, first, last, peakRss, maxRss}
 */
import { systemById } from './systems/index.js';
import type { RunningWorker } from './system.js';

export interface ChildArgs {
  system: string;
  ns: string;
  concurrency: number;
}

export interface ChildProgress {
  count: number;
  /** Epoch ms (with sub-ms precision) of the first and the latest job start. */
  first: number;
  last: number;
  /** Highest RSS sampled so far, bytes. */
  peakRss: number;
}

export type ChildMessage = ({ t: 'progress' } & ChildProgress) | ({ t: 'stopped'; maxRss: number } & ChildProgress) | { t: 'ready' };
export type ParentMessage = { t: 'go' } | { t: 'stop' };

const now = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
  const system = systemById(args.system).create(args.ns);
  const state: ChildProgress = { count: 0, first: 0, last: 0, peakRss: process.memoryUsage().rss };
  let worker: RunningWorker | undefined;
  let sent = -1;
  const send = (m: ChildMessage) => process.send?.(m);
  const sampler = setInterval(() => {
    state.peakRss = Math.max(state.peakRss, process.memoryUsage().rss);
    if (state.count !== sent) {
      sent = state.count;
      send({ t: 'progress', ...state });
    }
  }, 20);

  process.on('message', (m: ParentMessage) => {
    if (m.t === 'go') {
      void system
        .startWorker(args.concurrency, () => {
          const t = now();
          if (state.count === 0) state.first = t;
          state.last = t;
          state.count++;
        })
        .then((w) => (worker = w));
    } else if (m.t === 'stop') {
      void (async () => {
        await worker?.stop();
        await system.close();
        clearInterval(sampler);
        state.peakRss = Math.max(state.peakRss, process.memoryUsage().rss);
        send({ t: 'stopped', ...state, maxRss: process.resourceUsage().maxRSS * 1024 });
        process.disconnect();
      })();
    }
  });
  send({ t: 'ready' });
}

await main();
