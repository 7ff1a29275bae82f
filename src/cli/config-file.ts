/**
 * Configuration files for the long-running programs (`-c FILE`): INI with a section per
 * program, keys named like the long options, values as on the command line. One file can
 * serve a whole site. Every section, key and value is checked (by the same parser as the
 * command line), so a typo is an error at its file:line:col rather than a setting silently
 * ignored; the command line wins over the file.
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
import { LanguageError, UsageError } from '../language/errors.js';
import { Source } from '../language/source.js';
import { suggest } from '../language/suggest.js';
import type { OptionSpec } from './options.js';
import type { Program } from './program.js';
import { parseValue } from './values.js';

/** Values as the command line would give them: text, or a list of texts for repeatable options. */
export type ConfigValues = Record<string, string | boolean | string[]>;

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
  const source = new Source(text, path);
  const out: ConfigValues = {};
  let section: Program | undefined;
  const seen = new Set<string>();
  let offset = 0;
  for (const raw of text.split('\n')) {
    const at = offset;
    offset += raw.length + 1;
    const fail = (message: string, start: number, length: number, hint?: string): never => {
      throw new LanguageError(message, source, { start: at + start, end: at + start + Math.max(1, length) }, hint);
    };
    const line = raw.replace(/(^|\s)[;#].*$/, '').trimEnd();
    const indent = line.length - line.trimStart().length;
    if (!line.trim()) continue;
    const head = /^\[\s*([^\]]+?)\s*\]$/.exec(line.trim());
    if (head) {
      section = programs.find((p) => p.name === head[1]);
      if (!section) fail(`unknown section [${head[1]}]`, indent, line.trim().length, `sections are program names, e.g. [${program.name}]`);
      seen.clear();
      continue;
    }
    const kv = /^([A-Za-z][\w-]*)(\s*=\s*)(.*)$/.exec(line.trim());
    if (!kv) return fail(`expected 'key = value' or '[section]'`, indent, line.trim().length);
    const [, key = '', eq = '', rest = ''] = kv;
    const valueAt = indent + key.length + eq.length;
    if (!section) return fail(`'${key}' is outside any [program] section`, indent, key.length);
    const spec = key === 'config' ? undefined : section.options[key];
    if (!spec) {
      const names = Object.keys(section.options).filter((n) => n !== 'config');
      return fail(`unknown key '${key}' for ${section.name}`, indent, key.length, suggest(key, names));
    }
    if (seen.has(key) && !spec.many) fail(`'${key}' is set twice in [${section.name}]`, indent, key.length);
    seen.add(key);
    const value = convert(spec, unquote(rest), (expected) => fail(`${key} = ${rest}: expected ${expected}`, valueAt, rest.length));
    if (section !== program) continue;
    out[key] = Array.isArray(value) ? [...((out[key] as string[] | undefined) ?? []), ...value] : value;
  }
  return out;
}

function unquote(v: string): string {
  return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
}

/** Checks a value by its option's kind and gives it as the command line would. */
function convert(spec: OptionSpec, v: string, refuse: (expected: string) => never): string | boolean | string[] {
  if (spec.kind === 'flag') {
    if (TRUE.includes(v.toLowerCase())) return true;
    if (FALSE.includes(v.toLowerCase())) return false;
    return refuse('true or false');
  }
  // Several values of a repeatable option are separated by spaces; -M's two words are one value.
  const values = spec.many ? v.split(/\s+/).filter(Boolean) : [v];
  for (const one of values) {
    const r = parseValue(spec, one);
    if (!r.ok) refuse(r.expected);
  }
  return spec.many ? values : v;
}
