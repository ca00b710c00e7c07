import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, type Command, type CommandInput, type OptionSpec } from './command.js';
import { UsageError } from './exit.js';

/** Every option of a command: its own, then the common ones. */
export function optionsOf(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...COMMON_OPTIONS };
}

/**
 * Parses a command's arguments, with messages that name the command and the option instead of
 * Node's `parseArgs` text: an unknown option, a value given to a flag, a missing value, too many
 * or too few arguments are each a `UsageError` pointing at `kiln <command> --help`.
 */
export function parseCommandLine(command: Command, argv: string[]): Pick<CommandInput, 'positionals' | 'values'> {
  const specs = optionsOf(command);
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, s.short ? { type: s.type, short: s.short } : { type: s.type }]),
  );
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const see = `see kiln ${command.name} --help`;
  const values: CommandInput['values'] = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue; // `--`: what follows is positional, and parseArgs says so
    const spec = specs[token.name];
    if (!spec) {
      const known = Object.keys(specs).map((n) => `--${n}`).join(', ');
      throw new UsageError(`kiln ${command.name}: unknown option ${token.rawName} (it takes ${known}; ${see})`);
    }
    if (spec.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`kiln ${command.name}: ${token.rawName} takes no value, got ${token.rawName}=${token.value} (${see})`);
      values[token.name] = true;
    } else {
      const value = token.value;
      if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
        throw new UsageError(`kiln ${command.name}: ${token.rawName} needs a value: ${token.rawName} <${spec.value ?? 'value'}> (${see})`);
      }
      values[token.name] = value;
    }
  }
  if (values['help']) return { positionals, values };
  const { min, max } = command.positionals;
  if (positionals.length < min) {
    throw new UsageError(`kiln ${command.name} needs ${command.args} (usage: kiln ${command.name} ${command.args}; ${see})`);
  }
  if (positionals.length > max) {
    const extra = positionals.slice(max).map((p) => JSON.stringify(p)).join(' ');
    throw new UsageError(`kiln ${command.name}: unexpected argument${positionals.length - max > 1 ? 's' : ''} ${extra} (usage: kiln ${command.name} ${command.args}; ${see})`.replace(/  +/g, ' '));
  }
  return { positionals, values };
}

/** A whole number option in `[min, max]`, or its default. */
export function wholeNumber(values: CommandInput['values'], name: string, fallback: number, min: number, max: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${String(v)}`);
  return n;
}

/** A string option, or undefined. */
export function text(values: CommandInput['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
