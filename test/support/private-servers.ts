/**
 * Throw-away database servers for tests that stop, restart or break their server: a private
 * Postgres cluster (`initdb` + `pg_ctl` in a temp dir, trust auth, on a free port) and a private
 * `redis-server` (free port, its own dir). The shared servers of the other tests (5432 / 6379) are
 * never touched.
 *
 * A machine without the binaries skips such tests with a printed notice; under CI (`CI` set)
 * `privateServersSkip()` says nothing and `start()` throws, so a missing binary FAILS instead.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** The directory of Postgres's server binaries (`initdb`, `pg_ctl`), or undefined. */
function postgresBinDir(): string | undefined {
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const fromConfig = config.status === 0 ? config.stdout.trim() : '';
  if (fromConfig && existsSync(join(fromConfig, 'pg_ctl'))) return fromConfig;
  for (const version of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * Why private servers of `kind` cannot run here, for `describe(..., { skip })`: a message outside
 * CI, false under CI (the test then fails in `start()`) and when they can.
 */
export function privateServersSkip(...kinds: Array<'postgres' | 'redis'>): string | false {
  const missing = kinds.filter((k) => (k === 'postgres' ? !postgresBinDir() : !redisAvailable()));
  if (missing.length === 0 || process.env['CI']) return false;
  const why = `no ${missing.map((k) => (k === 'postgres' ? 'initdb/pg_ctl' : 'redis-server')).join(' or ')} on this machine: skipping`;
  console.log(`# ${why}`);
  return why;
}

/** Postgres refuses to run as root: as root, its commands run as the `postgres` user. */
function asOwner(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [bin, args];
  return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
}

/**
 * A private Postgres cluster: `start()` makes it (initdb, trust auth, fsync off) and starts it;
 * `restart()` is `pg_ctl restart -m fast` (every session terminated, then down for a moment);
 * `destroy()` stops it at once and removes its directory.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no Postgres server binaries (initdb, pg_ctl) found: cannot start a private Postgres');
    const dir = mkdtempSync(join(tmpdir(), 'kiln-private-pg-'));
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);
      chownSync(dir, id('-u'), id('-g'));
    }
    const pgServer = new PrivatePostgres(await freePort(), dir, bin);
    try {
      const [cmd, args] = asOwner(join(bin, 'initdb'), ['-D', pgServer.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
      await run(cmd, args, { timeout: 60_000 });
      await pgServer.ctl('start');
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`could not start a private Postgres: ${(error as Error).message}`);
    }
    return pgServer;
  }

  private async ctl(action: 'start' | 'restart' | 'stop', mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=32MB',
      '-c max_connections=200',
    ].join(' ');
    const args = ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-t', '60', '-m', mode];
    if (action !== 'stop') args.push('-o', options);
    const [cmd, full] = asOwner(join(this.bin, 'pg_ctl'), [...args, action]);
    await run(cmd, full, { timeout: 90_000 });
  }

  /** Fast restart: every connection is terminated, the cluster goes down and comes back. */
  async restart(): Promise<void> {
    await this.ctl('restart');
  }

  /** Stops the cluster (`fast`: sessions terminated; `immediate`: as a crash would). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.ctl('stop', mode);
  }

  async start(): Promise<void> {
    await this.ctl('start');
  }

  /** Stops it at once, whatever its state, and removes its files. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A private redis-server: no persistence of its own (`--save "" --appendonly no`), its own
 * directory. `kill()` is SIGKILL (the data is gone); `restart()` is `SHUTDOWN SAVE` and a new
 * process on the same port and dir, so the data survives and every client is disconnected.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-private-redis-'));
    // Tests that only kill() it (and may start it again) leave the directory to the process's end.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const r = new PrivateRedis(await freePort(), dir);
    await r.start();
    return r;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      child.once('error', (error) => reject(new Error(`could not start a private redis-server: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    });
    child.stdout!.resume();
  }

  /** SIGKILL: the server disappears without closing anything gracefully (and its data with it). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = null;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** A restart that keeps the data: SHUTDOWN SAVE (writes dump.rdb, closes every client), then start again. */
  async restart(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      await run('redis-cli', ['-p', String(this.port), 'SHUTDOWN', 'SAVE']).catch(() => {});
      await exited;
    }
    this.child = null;
    await this.start();
  }

  /** Kills it and removes its directory. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
