/**
 * The one table of command-line options. Programs pick from it, so the same option has
 * the same letter and the same words everywhere; help, docs and completions read it too.
 */
import type { Options } from 'yargs';

/** What a shell should complete for an option's value. */
export type Completion = 'file' | 'dir' | 'hostport' | 'fields' | 'none' | readonly string[];

export interface OptionSpec {
  readonly name: string;
  readonly alias?: string;
  readonly type: 'string' | 'boolean' | 'number' | 'array';
  readonly describe: string;
  /** Placeholder shown in docs: FILE, DIR, RANGE... */
  readonly value?: string;
  readonly default?: unknown;
  readonly complete: Completion;
  readonly group: 'Input' | 'Selection' | 'Output' | 'Filter';
}

export const OPTIONS = {
  read: { name: 'read', alias: 'r', type: 'array', value: 'FILE...', complete: 'file', group: 'Input', describe: 'read stream files (- is stdin; .bz2 read transparently)' },
  recursive: { name: 'recursive', alias: 'R', type: 'array', value: 'DIR', complete: 'dir', group: 'Input', describe: 'read every stream file under DIR, in time order (hidden and .tmp files skipped)' },
  remote: { name: 'remote', alias: 'S', type: 'array', value: 'HOST:PORT', complete: 'hostport', group: 'Input', describe: 'read a live stream from HOST:PORT or unix:PATH (reconnects with backoff)' },
  time: { name: 'time', alias: 't', type: 'string', value: 'RANGE', complete: 'none', group: 'Selection', describe: 'only records in RANGE: 2026-11-23, 10:00-11:00, -1h, A..B' },
  count: { name: 'count', alias: 'N', type: 'number', value: 'COUNT', complete: 'none', group: 'Selection', describe: 'stop after COUNT records' },
  fields: { name: 'fields', alias: 's', type: 'string', value: 'FIELDS', complete: 'fields', group: 'Output', describe: 'fields to print, in order (all for every field); +f adds to and -f removes from the default' },
  numeric: { name: 'numeric', alias: 'n', type: 'boolean', complete: 'none', group: 'Output', describe: 'print raw numbers: bytes as integers, times as ms since the epoch' },
  header: { name: 'header', type: 'boolean', default: true, complete: 'none', group: 'Output', describe: 'print a header line (--no-header to leave it out)' },
  write: { name: 'write', alias: 'w', type: 'string', value: 'FILE', complete: 'file', group: 'Output', describe: 'write the stream to FILE (- is stdout; .bz2 compresses); written under a temporary name, renamed when whole' },
  check: { name: 'check', type: 'boolean', complete: 'none', group: 'Filter', describe: 'only check the expression: exit 0 if valid, 2 if not; read nothing' },
  explain: { name: 'explain', type: 'boolean', complete: 'none', group: 'Filter', describe: 'print the expression fully parenthesised, as parsed, and exit' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** The common input and selection options of every reader. */
export const READER_OPTIONS: readonly OptionName[] = ['read', 'recursive', 'remote', 'time', 'count'];

export function toYargs(spec: OptionSpec): Options {
  const o: Options = { describe: spec.describe, type: spec.type, group: `${spec.group}:` };
  if (spec.alias) o.alias = spec.alias;
  if (spec.default !== undefined) o.default = spec.default;
  if (spec.type === 'array') o.string = true;
  if (spec.type === 'string' || spec.type === 'number') o.requiresArg = true;
  return o;
}

/**
 * Joins an option's value that starts with '-' to the option (`-t -1h` → `-t=-1h`) so the
 * parser does not read the value as more options. Only for options that take one value.
 */
export function joinDashValues(args: readonly string[], specs: readonly OptionSpec[]): string[] {
  const takesValue = new Set<string>();
  for (const s of specs) {
    if (s.type !== 'string' && s.type !== 'number') continue;
    takesValue.add(`--${s.name}`);
    if (s.alias) takesValue.add(`-${s.alias}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (takesValue.has(a) && next !== undefined && next.startsWith('-') && next !== '-' && next !== '--') {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
