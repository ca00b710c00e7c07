import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The README's quick start, as a user copies it: its files and the commands that run them. */
export interface QuickStart {
  /** `jobs.ts` → its code, from the ```ts blocks whose first line is `// <file> — ...`. */
  files: Map<string, string>;
  /** The `node …` lines of its ```sh block, without their comments, in order. */
  commands: string[][];
}

/** Reads the "## Quick start" section of README.md. Throws when it no longer has that shape. */
export function readmeQuickStart(): QuickStart {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  if (start === -1) throw new Error('README.md has no "## Quick start" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const files = new Map<string, string>();
  const commands: string[][] = [];
  for (const [, lang, code] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    if (lang === 'ts') {
      const name = /^\/\/ (\S+\.ts) /.exec(code!)?.[1];
      if (!name) throw new Error(`a quick-start code block does not start with "// <file>.ts — …":\n${code}`);
      files.set(name, code!);
    } else if (lang === 'sh') {
      for (const line of code!.split('\n')) {
        const command = line.replace(/#.*$/, '').trim();
        if (command.startsWith('node ')) commands.push(command.split(/\s+/).slice(1));
      }
    }
  }
  return { files, commands };
}
