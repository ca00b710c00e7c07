import type { Logger } from '../../logger.js';
import {
  closeClient,
  isNoScriptError,
  loadIoredis,
  openConnection,
  scriptError,
  watchConnection,
  type CommandConnection,
  type RedisClient,
  type RedisConnection,
} from './connection.js';
import type { KeyLayout } from './keys.js';
import type { ResolvedRedisOptions } from './options.js';
import { SCRIPTS, type LuaScript } from './scripts.js';
import { RedisSubscriber } from './subscriber.js';

/**
 * What every role of one `RedisStorage` shares: the command connection, the key layout, the
 * logger, and `run`, the one way a role talks to Redis.
 *
 * Every operation is one Lua script (see `scripts.ts`), so each is atomic and costs one round
 * trip. Scripts are loaded by `loadScripts()` and called by EVALSHA, falling back to EVAL (which
 * also caches them) after a Redis restart or failover forgot them. Time always comes from the
 * caller's `now`: no Redis clock and no key TTL decides a lease, a lock or an expiry, so every
 * server and every test agree.
 *
 * Connections: given a URL or ioredis options, the context creates its connection with the
 * defaults documented on `KILN_REDIS_DEFAULTS` (calls reject soon while Redis is down, and work
 * again after it returns), logs its errors through the logger, and closes it in `close()`. Given
 * an existing client (`Redis` or `Cluster`), it uses it exactly as configured, leaves its 'error'
 * events to its owner, and leaves it open on `close()`.
 */
export class RedisContext {
  readonly keys: KeyLayout;
  readonly logger: Logger;
  readonly connection: CommandConnection;
  readonly client: RedisClient;
  /** The one pub/sub connection, shared by wake-ups and job events; opened on first use. */
  readonly subscriber: RedisSubscriber;
  /** The storage as errors name it: `RedisStorage(prefix kiln)`. */
  readonly name: string;
  private closed = false;

  /** Loads ioredis (a `KilnError` naming the package when it is not installed) and connects. */
  constructor(connection: RedisConnection, options: ResolvedRedisOptions) {
    this.keys = options.keys;
    this.name = `RedisStorage(prefix ${options.keys.base.slice(1, -2)})`;
    this.logger = options.logger;
    this.connection = openConnection(loadIoredis(), connection);
    this.client = this.connection.client;
    if (this.connection.owned) watchConnection(this.client, 'command', this.logger);
    this.subscriber = new RedisSubscriber(this);
  }

  /**
   * Runs a script with the calling convention of `lua/library.ts`: the key prefix as `KEYS[1]`,
   * the channel as `ARGV[1]`, then `args`. A script's deliberate refusal becomes a `KilnError`,
   * Redis's out-of-memory reply a `StorageFullError`.
   */
  async run(script: LuaScript, args: Array<string | number>): Promise<unknown> {
    const all = [this.keys.base, this.keys.channel, ...args];
    try {
      try {
        return await this.client.evalsha(script.sha, 1, ...all);
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return await this.client.eval(script.lua, 1, ...all);
      }
    } catch (error) {
      throw scriptError(error, this.name);
    }
  }

  /** Loads every script into Redis's script cache. Idempotent. */
  async loadScripts(): Promise<void> {
    // A Cluster routes SCRIPT LOAD to an arbitrary node; there each node learns a script from
    // the EVAL fallback of its first call instead.
    if (this.connection.cluster) return;
    const client = this.client;
    await Promise.all(Object.values(SCRIPTS).map((s) => client.script('LOAD', s.lua)));
  }

  /** Closes the subscriber, and the command connection when the storage created it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriber.close();
    if (this.connection.owned) await closeClient(this.client);
  }
}
