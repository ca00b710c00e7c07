import { fork, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { siblingModule } from '../threads/bootstrap.js';
import { Executor } from './executor.js';
import type { FromExecutor, RunRequest } from './protocol.js';

/** The end of a child's stderr kept to explain its death (V8 prints "heap out of memory" there). */
const STDERR_TAIL = 8 * 1024;

/**
 * An executor in a child process (`fork` of the isolation runtime, with this process's
 * `execArgv`, so `--import tsx` carries over): dearer to start than a thread, but nothing it does
 * (native crashes, `process.abort()`, a corrupted heap) reaches the server's process. Ended with
 * SIGKILL. `memoryLimitMb` is its `--max-old-space-size`. Its output goes to the server's
 * stdout/stderr.
 */
export class ProcessExecutor extends Executor {
  readonly kind = 'process' as const;
  protected readonly noun = 'process';
  private readonly child: ChildProcess;
  private stderrTail = '';

  constructor(private readonly memoryLimitMb: number | undefined) {
    super();
    // A debugger's port is the server's own: a child asking for it too would fail to start.
    const execArgv = process.execArgv.filter((a) => !/^--(inspect|debug)(-brk|-port|-wait)?(=|$)/.test(a));
    if (memoryLimitMb !== undefined) execArgv.push(`--max-old-space-size=${memoryLimitMb}`);
    this.child = fork(fileURLToPath(siblingModule(import.meta.url, 'runtime')), [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const stderr = this.child.stderr as Readable & { unref?: () => void };
    stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.child.on('message', (m: FromExecutor) => this.onMessage(m));
    this.child.on('error', (e) => {
      this.crashed(`it could not be started or reached: ${e.message}`);
      // A process that never started emits no 'exit'.
      if (this.child.pid === undefined) this.markExited();
    });
    this.child.on('exit', (code, signal) => {
      this.crashed(this.exitReason(code, signal));
      this.markExited();
    });
    // Never keeps the server's process alive: the server ends it.
    this.child.unref();
    this.child.channel?.unref();
    stderr.unref?.();
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    if (/heap out of memory|Allocation failed/i.test(this.stderrTail)) {
      return `it ran out of memory (isolation.memoryLimitMb ${this.memoryLimitMb ?? 'not set'})`;
    }
    if (signal !== null) return `it was killed by ${signal}`;
    return `it exited with code ${code} (process.exit?) before the job ended`;
  }

  protected post(request: RunRequest): void {
    this.child.send(request);
  }

  protected kill(): void {
    this.child.kill('SIGKILL');
  }
}
