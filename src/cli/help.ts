import { optionsOf } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';

/** `kiln help`: every command with its one line. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'kiln — background jobs for Node.js',
    '',
    'Usage: kiln <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  kiln help <command>: a command's arguments and options`,
    '',
    'Every command takes --storage <url>: postgres://…?schema=kiln, redis://…?prefix=kiln:,',
    'sqlite:./kiln.db or a file path. Default: $KILN_STORAGE, else ./kiln.db.',
    'Only migrate and server create a storage; the others need one that exists.',
    'Exit codes: 0 done, 1 bad input, 2 storage unreachable or missing. kiln --version prints the version.',
  ].join('\n');
}

/** `kiln help <command>` and `kiln <command> --help`: the command's own synopsis and options. */
export function commandHelp(command: Command): string {
  const options = Object.entries(optionsOf(command)).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` <${o.value}>` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    `Usage: kiln ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.details ? [command.details] : []),
    '',
    'Options:',
    ...options.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
  ].join('\n');
}
