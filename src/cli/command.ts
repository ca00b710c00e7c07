import type { Logger } from '../logger.js';
import type { Storage } from '../storage/contract/index.js';

/** One option of a command, as its help shows it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** The placeholder in help: `--limit <n>`. */
  value?: string;
  short?: string;
  help: string;
}

/** What a command is given once its command line has parsed. */
export interface CommandInput {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  /**
   * Opens the storage named by `--storage` (else `$KILN_STORAGE`, else `./kiln.db`), after the
   * command has checked the rest of its input. Reading commands get a storage that must exist
   * and is never created; see `Command.storage`.
   */
  storage(): Promise<Storage>;
  logger: Logger;
}

/** What a command's run resolves to: an exit code, or `running` for a server or a dashboard. */
export type CommandResult = number | 'running';

export interface Command {
  name: string;
  /** The positional part of the synopsis: `<state>`, `<id>...`. */
  args: string;
  /** One line, for `kiln help`. */
  summary: string;
  /** More lines, for `kiln help <command>`. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** How many positionals it takes. */
  positionals: { min: number; max: number };
  /**
   * `existing`: the storage must already exist (a missing file, database or schema is an error
   * and nothing is created); `create`: the command may create it (`migrate`, `server`).
   */
  storage: 'existing' | 'create';
  /** Runs until done (`kiln stats`) or until a signal (`kiln server`: then `running`). */
  long?: boolean;
  run(input: CommandInput): Promise<CommandResult>;
}

/** The option every command takes besides its own. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  storage: { type: 'string', value: 'url', help: 'postgres://…?schema=, redis://…?prefix=, sqlite:./file.db or a file path (default $KILN_STORAGE, else ./kiln.db)' },
  help: { type: 'boolean', short: 'h', help: "this command's help" },
};

export const JSON_OPTION: OptionSpec = { type: 'boolean', help: 'print JSON instead of text' };

/** Prints a value as JSON with `--json`, else as the text `text()` makes. */
export function print(values: CommandInput['values'], value: unknown, text: () => string): void {
  console.log(values['json'] ? JSON.stringify(value, null, 2) : text());
}
