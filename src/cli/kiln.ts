// The `kiln` command line: parse it, run the command, turn the outcome into an exit code.
import { readFileSync } from 'node:fs';
import { KilnError } from '../errors.js';
import { consoleLogger, silentLogger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';
import { parseCommandLine, text } from './args.js';
import { commandNamed } from './commands/index.js';
import { EXIT, StorageUnavailableError, UsageError } from './exit.js';
import { commandHelp, usage } from './help.js';
import { chooseStorage, openStorage } from './open-storage.js';

/** This package's version, from its package.json (two levels up from src/cli and dist/cli alike). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

/**
 * Runs one `kiln` command line and resolves to its exit code (see `EXIT`), or to `running` when
 * it started a server or a dashboard that runs until a signal. Every failure is printed on
 * stderr as one line (no stack) and turned into its exit code; this never rejects.
 */
export async function kiln(argv: string[]): Promise<number | 'running'> {
  try {
    return await dispatch(argv);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    console.error(message.startsWith('kiln') ? message : `kiln: ${message}`);
    // One line for people; the stack for whoever debugs the command itself.
    if (process.env['KILN_DEBUG'] && e instanceof Error && e.stack) console.error(e.stack);
    return e instanceof StorageUnavailableError ? EXIT.storage : EXIT.badInput;
  }
}

async function dispatch(argv: string[]): Promise<number | 'running'> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.error(usage());
    return EXIT.badInput;
  }
  if (first === '--version' || first === '-v') return (console.log(version()), EXIT.ok);
  if (first === '--help' || first === '-h') return (console.log(usage()), EXIT.ok);
  if (first === 'help') {
    if (rest.length === 0) return (console.log(usage()), EXIT.ok);
    const command = commandNamed(rest[0]!);
    if (!command || rest.length > 1) throw new UsageError(`kiln help: no command ${JSON.stringify(rest.join(' '))}; see kiln help`);
    return (console.log(commandHelp(command)), EXIT.ok);
  }
  if (first.startsWith('-')) throw new UsageError(`kiln: ${first} before a command; write kiln <command> ${first} (see kiln help)`);
  const command = commandNamed(first);
  if (!command) throw new UsageError(`kiln: unknown command ${JSON.stringify(first)}; see kiln help`);
  const { positionals, values } = parseCommandLine(command, rest);
  if (values['help']) return (console.log(commandHelp(command)), EXIT.ok);

  // A one-shot command reports failures itself, so its storage stays quiet; a server or a
  // dashboard runs for hours and logs what happens to its connections.
  const logger = command.long ? consoleLogger() : silentLogger;
  const choice = chooseStorage(text(values, 'storage'));
  let opened: Promise<Storage> | undefined;
  const storage = () => (opened ??= openStorage(choice, command.storage, command.name, logger));
  let result: number | 'running' = EXIT.badInput;
  try {
    result = await command.run({ positionals, values, storage, logger });
    return result;
  } catch (e) {
    // Past the opening, an error that is not Kiln's own came from the storage's driver.
    if (opened && !(e instanceof KilnError)) throw new StorageUnavailableError(`the storage failed: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  } finally {
    if (result !== 'running' && opened) await opened.then((s) => s.close()).catch(() => {});
  }
}
