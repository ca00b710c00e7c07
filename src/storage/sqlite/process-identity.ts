import { readFileSync, readlinkSync } from 'node:fs';

/**
 * What tells one process apart from every other on a Linux host, for SQLite's liveness mark: its
 * pid, when it started (`starttime` of `/proc/<pid>/stat`, clock ticks since boot: a pid reused
 * by a later process has a later start), the boot it belongs to (`/proc/sys/kernel/random/boot_id`)
 * and the pid namespace its pid means something in (`/proc/self/ns/pid`: two containers sharing
 * one file each count pids from 1).
 */
export interface ProcessIdentity {
  pid: number;
  startTicks: number;
  bootId: string;
  pidNamespace: string;
}

let own: ProcessIdentity | null | undefined;

/**
 * This process's identity, read once; `null` where `/proc` does not say it (not Linux, or a
 * sandbox hiding it), in which case SQLite servers fall back to the heartbeat timeout.
 */
export function ownIdentity(): ProcessIdentity | null {
  if (own !== undefined) return own;
  try {
    const stat = readStat(process.pid);
    own = stat && {
      pid: process.pid,
      startTicks: stat.startTicks,
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidNamespace: readlinkSync('/proc/self/ns/pid'),
    };
  } catch {
    own = null;
  }
  return own;
}

/**
 * Whether `mark`'s process has ended, as seen from `self` (this process's identity): a
 * description of how it was found ended, `false` while it lives, `null` when this process cannot
 * tell (another boot or another pid namespace: there its pid means nothing here).
 *
 * `process.kill(pid, 0)` finds whether any process has the pid (ESRCH: none; EPERM: one that
 * belongs to another user, alive). A SIGKILLed process its parent has not reaped yet still has
 * its pid, as a zombie, so `/proc/<pid>/stat` is read too: a zombie (`Z`), a dead task (`X`) or
 * a process started at another time (the pid was reused) means the owner is gone. A stat this
 * process may not read (`hidepid`) means it cannot tell, so the owner is taken as alive.
 */
export function processEnded(mark: ProcessIdentity, self: ProcessIdentity): string | false | null {
  if (mark.bootId !== self.bootId || mark.pidNamespace !== self.pidNamespace) return null;
  if (!Number.isInteger(mark.pid) || mark.pid <= 0) return null;
  if (mark.pid === self.pid) return mark.startTicks === self.startTicks ? false : `its process ${mark.pid} ended (the pid now belongs to another process)`;
  try {
    process.kill(mark.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return `its process ${mark.pid} ended`;
  }
  let stat: ReturnType<typeof readStat>;
  try {
    stat = readStat(mark.pid);
  } catch {
    return false;
  }
  if (stat === null) return `its process ${mark.pid} ended`;
  if (stat.state === 'Z' || stat.state === 'X') return `its process ${mark.pid} ended (not yet reaped)`;
  if (stat.startTicks !== mark.startTicks) return `its process ${mark.pid} ended (the pid now belongs to another process)`;
  return false;
}

/**
 * The state and start time of `pid` from `/proc/<pid>/stat`; `null` when there is no such
 * process. The command name (field 2) may hold spaces and parentheses, so fields are counted
 * from the last `)`: the state is field 3, `starttime` field 22.
 */
function readStat(pid: number): { state: string; startTicks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw e;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  if (!fields[0] || !Number.isSafeInteger(startTicks)) throw new Error(`unreadable /proc/${pid}/stat`);
  return { state: fields[0], startTicks };
}
