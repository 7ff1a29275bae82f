/**
 * Configuration files for the long-running programs (`-c FILE`): INI with a section per
 * program, keys named like the long options, values as on the command line. One file can
 * serve a whole site. Every section and key is checked, so a typo is an error with its
 * line number rather than a setting silently ignored; the command line wins over the file.
 *
 *     [smbta-recv]
 *     port = 3490
 *     serve = 3491
 *     anonymize = user,sid
 *
 *     [smbta-mux]
 *     remote = 127.0.0.1:3491 10.0.0.2:3491   ; several values: separated by spaces
 */
import { readFileSync } from 'node:fs';
import { suggest } from '../language/suggest.js';
import { UsageError } from '../language/errors.js';
import { OPTIONS, type OptionSpec } from './options.js';
import type { Program } from './program.js';

export type ConfigValues = Record<string, string | number | boolean | string[]>;

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

/** The settings for `program` in the file at `path`; every section of a known program is checked. */
export function readConfigFile(path: string, program: Program, programs: readonly Program[]): ConfigValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`-c ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const out: ConfigValues = {};
  let section: Program | undefined;
  const seen = new Set<string>();
  text.split('\n').forEach((raw, k) => {
    const at = `${path}:${k + 1}`;
    const line = raw.replace(/(^|\s)[;#].*$/, '').trim();
    if (!line) return;
    const head = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (head) {
      section = programs.find((p) => p.name === head[1]);
      if (!section) throw new UsageError(`${at}: unknown section [${head[1]}]; sections are program names, e.g. [${program.name}]`);
      seen.clear();
      return;
    }
    const kv = /^([A-Za-z][\w-]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new UsageError(`${at}: expected 'key = value' or '[section]', found '${line}'`);
    if (!section) throw new UsageError(`${at}: '${kv[1]}' is outside any [program] section`);
    const spec = specFor(section, kv[1]!);
    if (!spec) {
      const names = section.options.map((n) => OPTIONS[n].name).filter((n) => n !== 'config');
      const hint = suggest(kv[1]!, names);
      throw new UsageError(`${at}: unknown key '${kv[1]}' for ${section.name}${hint ? `; ${hint}` : ''}`);
    }
    if (seen.has(spec.name) && spec.type !== 'array') throw new UsageError(`${at}: '${spec.name}' is set twice in [${section.name}]`);
    seen.add(spec.name);
    const value = convert(spec, unquote(kv[2]!), at);
    if (section !== program) return;
    out[spec.name] = spec.type === 'array' ? [...((out[spec.name] as string[] | undefined) ?? []), ...(value as string[])] : value;
  });
  return out;
}

function specFor(p: Program, key: string): OptionSpec | undefined {
  const name = p.options.find((n) => OPTIONS[n].name === key && key !== 'config');
  return name && OPTIONS[name];
}

function unquote(v: string): string {
  return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
}

function convert(spec: OptionSpec, v: string, at: string): string | number | boolean | string[] {
  switch (spec.type) {
    case 'boolean':
      if (TRUE.includes(v.toLowerCase())) return true;
      if (FALSE.includes(v.toLowerCase())) return false;
      throw new UsageError(`${at}: ${spec.name} = ${v}: expected true or false`);
    case 'number': {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw new UsageError(`${at}: ${spec.name} = ${v}: expected a number`);
      return n;
    }
    case 'array':
      return v.split(/\s+/).filter(Boolean);
    default:
      return v;
  }
}

/** The value of -c/--config in `argv`, if given. */
export function configPathIn(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '-c' || a === '--config') return argv[i + 1];
    const m = /^(?:-c|--config)=(.*)$/.exec(a);
    if (m) return m[1];
  }
  return undefined;
}
