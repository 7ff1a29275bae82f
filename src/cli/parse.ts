/**
 * From a command line (and -c FILE) to a program's typed arguments: the words are split by
 * the one rule of argv.ts, yargs reads the options (and prints --help and --version), and
 * every value is parsed by its kind here, with the option's default when it was not given.
 */
import { createRequire } from 'node:module';
import type { Argv, Options as YargsOptions } from 'yargs';
import { UsageError } from '../language/errors.js';
import { VERSION } from '../version.js';
import { splitArgv } from './argv.js';
import { readConfigFile } from './config-file.js';
import type { OptionSpec, Options } from './options.js';
import type { Program } from './program.js';
import { kindsLegend, parseValue } from './values.js';

// yargs 17's single-file CommonJS build starts ~150 ms faster than yargs 18's ESM modules,
// which matters for small programs run in pipelines.
const yargs = createRequire(import.meta.url)('yargs/yargs') as (args: readonly string[]) => Argv;

/** Parses a program's command line; `programs` (the registry) checks every section of -c FILE. */
export async function parseArgs(program: Program, argv: readonly string[], programs: () => Promise<readonly Program[]>): Promise<Record<string, unknown>> {
  const { options, words, written } = splitArgv(argv, program.options, program.positional?.looksLike);
  const configPath = 'config' in program.options ? configPathIn(options) : undefined;
  const fromFile = configPath === undefined ? {} : readConfigFile(configPath, program, await programs());
  const raw = await yargs(options)
    .config(fromFile)
    .scriptName(program.name)
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .alias('V', 'version')
    .strict()
    .parserConfiguration({ 'greedy-arrays': false, 'camel-case-expansion': false })
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((msg, err) => {
      throw msg ? new UsageError(msg) : err;
    })
    .usage(usageText(program))
    .options(Object.fromEntries(Object.entries(program.options).map(([name, s]) => [name, toYargs(s)])))
    .example(program.examples.map(([cmd, meaning]) => [cmd, meaning]))
    .epilogue(epilogueText(program))
    .parseAsync();
  return { ...convertAll(program.options, raw, written), _: words };
}

function usageText(p: Program): string {
  return `${p.name}: ${p.summary}\n\nUsage: ${p.name} [options]${p.positional ? ` [${p.positional.name}]` : ''}\n\n${p.description}`;
}

/** Exit status, and how the kinds of value the program takes are written. */
function epilogueText(p: Program): string {
  const lines = kindsLegend(Object.values(p.options).map((s) => s.kind));
  if (p.exitStatus) lines.push(`Exit status: ${p.exitStatus}`);
  return lines.join('\n');
}

function toYargs(s: OptionSpec): YargsOptions {
  const o: YargsOptions = { describe: s.describe, group: `${s.group}:` };
  if (s.alias) o.alias = s.alias;
  if (s.kind === 'flag') {
    o.type = 'boolean';
    if (s.default !== undefined) o.default = s.default;
    return o;
  }
  o.type = 'string';
  if (s.many) o.array = true;
  if (!s.optionalValue) o.requiresArg = true;
  if (s.default !== undefined) o.defaultDescription = String(s.default);
  return o;
}

/** Every option's value by its kind, defaults filled in; a value that does not parse is a usage error. */
export function convertAll(options: Options, raw: Record<string, unknown>, written: ReadonlyMap<string, string> = new Map()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(options)) out[name] = convertOne(written.get(name) ?? `--${name}`, spec, raw[name]);
  return out;
}

function convertOne(flag: string, spec: OptionSpec, given: unknown): unknown {
  if (spec.kind === 'flag') return given === undefined ? (spec.default ?? false) : given === true || given === 'true';
  const value = given ?? spec.default;
  if (value === undefined) return spec.many ? [] : undefined;
  const list = (Array.isArray(value) ? value : [value]).map(String);
  if (spec.optionalValue && list.at(-1) === '') return '';
  const parsed = list.map((text) => {
    const r = parseValue(spec, text);
    if (!r.ok) throw new UsageError(`${flag} ${text}: expected ${r.expected}`);
    return r.value;
  });
  // A single-valued option given twice: the last one wins, as in most Unix tools.
  return spec.many ? parsed : parsed.at(-1);
}

/** The value of --config in split options, if given. */
function configPathIn(options: readonly string[]): string | undefined {
  for (const o of options) if (o.startsWith('--config=')) return o.slice('--config='.length);
  return undefined;
}
