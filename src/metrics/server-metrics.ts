import { Gauge, type Registry } from 'prom-client';
import type { ObservedServer } from '../server/run-observer.js';

/**
 * The worker gauges of the servers running in this process, read on scrape:
 * `<prefix>server_workers{server}` (slots) and `<prefix>server_workers_busy{server}` (slots
 * running a job), by server name (`host:pid` unless named; servers sharing a name are summed).
 */
export class ServerMetrics {
  readonly servers = new Set<ObservedServer>();

  constructor(registry: Registry, prefix: string) {
    const servers = this.servers;
    const gauge = (name: string, help: string, read: (s: ObservedServer) => number) =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        labelNames: ['server'],
        registers: [registry],
        collect() {
          this.reset();
          const byName = new Map<string, number>();
          for (const s of servers) byName.set(s.name, (byName.get(s.name) ?? 0) + read(s));
          for (const [server, n] of byName) this.set({ server }, n);
        },
      });
    gauge('server_workers', 'Worker slots of the servers running in this process.', (s) => s.workerCount);
    gauge('server_workers_busy', 'Worker slots running a job now, per server in this process.', (s) => s.runningCount);
  }
}
