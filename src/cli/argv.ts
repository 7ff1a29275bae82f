/**
 * Splits a command line into options and trailing words, before yargs sees it, by one rule
 * for every program:
 *
 * - `-r FILE...` takes words while they name files (or `-`), `-R DIR...` while they name
 *   directories, `-S ADDR...` while they are addresses (HOST:PORT, PORT, tls://, unix:);
 * - `-M KIND AMOUNT` takes its two words;
 * - every other option takes one value per occurrence (`--share a --share b`), even one that
 *   starts with `-` (`-t -1h`);
 * - the first word that is none of these starts the trailing words (a filter, a question),
 *   and options may still follow them.
 *
 * A word that names a file here and also reads as the trailing grammar is refused: `./word`
 * or `--` says which it is. So a trailing filter is never swallowed, nor silently dropped.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../language/errors.js';
import type { OptionSpec, Options } from './options.js';

export interface SplitArgv {
  /** Options in `--name=value` form (flags as given), for yargs. */
  options: string[];
  /** The trailing words, in order. */
  words: string[];
  /** How each option was written (`-t` or `--time`), by long name, for messages. */
  written: Map<string, string>;
}

/** How a program's trailing words look, to tell them from the values of -r, -R and -S. */
export type TrailingTest = (word: string) => boolean;

const ADDRESS = /^(tls:\/\/.+|unix:.+|nats:\/\/.+|\[[0-9a-fA-F:.]+\]:\d{1,5}|[\w.-]+:\d{1,5}|\d{1,5})$/;

/** True for the words -S takes: HOST:PORT, [IPV6]:PORT, PORT, tls://..., unix:..., nats://... */
export function looksLikeAddress(word: string): boolean {
  return ADDRESS.test(word);
}

export function splitArgv(argv: readonly string[], options: Options, trailing: TrailingTest | undefined): SplitArgv {
  const byFlag = flagTable(options);
  const out: string[] = [];
  const words: string[] = [];
  const written = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') {
      if (!trailing && i + 1 < argv.length) throw unexpected(argv[i + 1] ?? '');
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (!trailing) throw unexpected(a, previousList(argv, i, byFlag));
      words.push(a);
      continue;
    }
    const { spec, flag, inline } = lookup(a, byFlag);
    if (!spec || spec.kind === 'flag') {
      out.push(a); // yargs says what is wrong with an unknown option, and reads flags
      continue;
    }
    const name = `--${nameOf(spec, options)}`;
    written.set(name.slice(2), flag);
    if (inline !== undefined) {
      out.push(`${name}=${inline}`);
      continue;
    }
    const taken = takeValues(argv, i + 1, spec, flag, trailing);
    if (taken.length === 0) out.push(name);
    else if (spec.kind === 'split') out.push(`${name}=${taken.join(' ')}`);
    else for (const v of taken) out.push(`${name}=${v}`);
    i += taken.length;
  }
  return { options: out, words, written };
}

/** The values an option takes from `argv[at]` on, by the rule above. */
function takeValues(argv: readonly string[], at: number, spec: OptionSpec, flag: string, trailing: TrailingTest | undefined): string[] {
  const next = argv[at];
  if (next === undefined) return [];
  if (spec.optionalValue) return next.startsWith('-') ? [] : [next];
  if (spec.kind === 'split') return next.includes(' ') ? [next] : argv.slice(at, at + 2);
  const greedy = spec.many && (spec.kind === 'path' || spec.kind === 'dir' || spec.kind === 'source');
  if (!greedy || !trailing) return [next];
  const taken: string[] = [];
  for (let k = at; k < argv.length; k++) {
    const w = argv[k] ?? '';
    if (w === '--' || (w.startsWith('-') && w !== '-')) break;
    const verdict = spec.kind === 'source' ? (looksLikeAddress(w) || taken.length === 0 ? 'value' : 'trailing') : pathVerdict(w, trailing);
    if (verdict === 'ambiguous') {
      throw new UsageError(`'${w}' names a file here and reads as what follows the options: write ./${w} for the file, or put -- before the rest`);
    }
    if (verdict === 'trailing') {
      if (taken.length === 0) throw new UsageError(`${flag} needs a ${spec.value ?? 'value'} before '${w}'`);
      break;
    }
    taken.push(w);
  }
  return taken;
}

function pathVerdict(w: string, trailing: TrailingTest): 'value' | 'trailing' | 'ambiguous' {
  if (w === '-') return 'value';
  const exists = existsSync(w);
  const reads = trailing(w);
  if (exists && reads) return 'ambiguous';
  return reads ? 'trailing' : 'value';
}

interface Found {
  spec?: OptionSpec;
  flag: string;
  inline?: string;
}

function flagTable(options: Options): Map<string, OptionSpec> {
  const t = new Map<string, OptionSpec>();
  for (const [name, spec] of Object.entries(options)) {
    t.set(`--${name}`, spec);
    if (spec.alias) t.set(`-${spec.alias}`, spec);
  }
  return t;
}

function lookup(a: string, byFlag: Map<string, OptionSpec>): Found {
  const eq = a.startsWith('--') ? a.indexOf('=') : -1;
  if (eq > 0) return { spec: byFlag.get(a.slice(0, eq)), flag: a.slice(0, eq), inline: a.slice(eq + 1) };
  const whole = byFlag.get(a);
  if (whole || a.startsWith('--')) return { spec: whole, flag: a };
  // `-t-1h`, `-N10`: a short option with its value attached.
  const short = byFlag.get(a.slice(0, 2));
  return short && short.kind !== 'flag' ? { spec: short, flag: a.slice(0, 2), inline: a.slice(2) } : { flag: a };
}

function nameOf(spec: OptionSpec, options: Options): string {
  return Object.entries(options).find(([, s]) => s === spec)?.[0] ?? '';
}

/** The repeatable option just before position `i`, if the word there was probably meant for it. */
function previousList(argv: readonly string[], i: number, byFlag: Map<string, OptionSpec>): string | undefined {
  for (let k = i - 1; k >= 0; k--) {
    const w = argv[k] ?? '';
    if (!w.startsWith('-') || w === '-') continue;
    return byFlag.get(w)?.many ? w : undefined;
  }
  return undefined;
}

function unexpected(word: string, list?: string): UsageError {
  return new UsageError(`unexpected argument '${word}'${list ? `: give ${list} once for each value` : ''}`);
}
