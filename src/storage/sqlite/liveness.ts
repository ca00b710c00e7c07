import type { Liveness, LivenessHold } from '../contract/index.js';
import type { SqliteContext } from './context.js';
import { requeueHeldBy } from './maintenance.js';
import { ownIdentity, processEnded, type ProcessIdentity } from './process-identity.js';
import type { MarkRow } from './statements/liveness.js';

/**
 * Liveness on SQLite, which lives on one host: a server's mark is the identity of its process
 * (pid, start time, boot id, pid namespace; see `process-identity.ts`), written to
 * `kiln_liveness`. The operating system "releases" it when the process dies: `process.kill(pid, 0)`
 * and `/proc/<pid>/stat` then say so, at once, whatever the process was doing before (a
 * blocked event loop, SIGSTOP: still alive). A mark cannot be lost while its process lives, so
 * `heldSince` never changes.
 *
 * Where `/proc` is missing (macOS, Windows) there is no mark (`holdLiveness` returns null) and
 * servers are judged by the heartbeat timeout alone. A record written on another host or in
 * another pid namespace (a file shared by containers) is never judged from here.
 *
 * No storage clock: every process on the host shares one clock (`storageTime` is null).
 */
export class SqliteLiveness implements Liveness {
  constructor(private readonly ctx: SqliteContext) {}

  async holdLiveness(serverId: string): Promise<LivenessHold | null> {
    const self = ownIdentity();
    if (!self) return null;
    const row = toRow(serverId, self);
    this.ctx.open().s.liveness.upsertMark.run(row);
    let released = false;
    return {
      heldSince: Date.now(),
      release: async () => {
        if (released) return;
        released = true;
        this.ctx.open().s.liveness.deleteMark.run(serverId, row.pid, row.start_ticks);
      },
    };
  }

  /** One read of the marks and a look in `/proc` for each; a write transaction only when some owner is gone. */
  async removeVanishedServers(now: number, checkerId: string): Promise<string[]> {
    const self = ownIdentity();
    if (!self) return [];
    const gone: Array<{ mark: MarkRow; how: string }> = [];
    for (const mark of this.ctx.open().s.liveness.marks.all()) {
      if (mark.server_id === checkerId) continue;
      const how = processEnded(fromRow(mark), self);
      if (how) gone.push({ mark, how });
    }
    if (gone.length === 0) return [];
    return this.ctx.write((s, batch) => {
      const removed: string[] = [];
      for (const { mark, how } of gone) {
        // Compare-and-delete: another server may have removed it, or a new process taken the id.
        if (s.liveness.deleteMark.run(mark.server_id, mark.pid, mark.start_ticks).changes === 0) continue;
        s.maintenance.deleteServer.run(mark.server_id);
        requeueHeldBy(s.maintenance, batch, mark.server_id, now, `Server ${mark.server_id} is gone: ${how}`);
        removed.push(mark.server_id);
      }
      return removed;
    });
  }

  async storageTime(): Promise<null> {
    return null;
  }
}

function toRow(serverId: string, p: ProcessIdentity): MarkRow {
  return { server_id: serverId, pid: p.pid, start_ticks: p.startTicks, boot_id: p.bootId, pid_ns: p.pidNamespace };
}

function fromRow(r: MarkRow): ProcessIdentity {
  return { pid: r.pid, startTicks: r.start_ticks, bootId: r.boot_id, pidNamespace: r.pid_ns };
}
