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
import { UsageError } from '../language/errors.js';
import { forEachIniLine } from '../language/ini-lines.js';
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
  let inRule = false;
  const seen = new Set<string>();
  forEachIniLine(source, ({ section: head, key, value: rest = '', valueAt = 0, indent, length, fail }) => {
    if (head !== undefined) {
      // smbta-alert's rules (src/alert/rules.ts checks them): not options.
      inRule = /^rule\b/.test(head);
      if (inRule) return;
      section = programs.find((p) => p.name === head);
      if (!section) fail(`unknown section [${head}]`, indent, length, `sections are program names, e.g. [${program.name}]`);
      seen.clear();
      return;
    }
    if (inRule) return;
    if (key === undefined) return fail(`expected 'key = value' or '[section]'`, indent, length);
    if (!section) return fail(`'${key}' is outside any [program] section`, indent, key.length);
    const spec = key === 'config' ? undefined : section.options[key];
    if (!spec) {
      const names = Object.keys(section.options).filter((n) => n !== 'config');
      return fail(`unknown key '${key}' for ${section.name}`, indent, key.length, suggest(key, names));
    }
    if (seen.has(key) && !spec.many) fail(`'${key}' is set twice in [${section.name}]`, indent, key.length);
    seen.add(key);
    const value = convert(spec, unquote(rest), (expected) => fail(`${key} = ${rest}: expected ${expected}`, valueAt, rest.length));
    if (section !== program) return;
    out[key] = Array.isArray(value) ? [...((out[key] as string[] | undefined) ?? []), ...value] : value;
  });
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
