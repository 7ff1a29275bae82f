/**
 * The kinds of value an option takes, and the one parser of each. The command line, -c
 * config files and the SIGHUP reload all go through `parseValue`, so `--late 30s` means the
 * same everywhere and a wrong value is refused in the same words wherever it is written.
 */
import { formatDuration, parseDuration, parseSize } from '../format/units.js';
import { parseTime, parseTimeRange } from '../filter/time-spec.js';
import type { SplitMode } from '../runtime/split-mode.js';
import type { Listen } from '../runtime/serve.js';

export type ValueKind =
  | 'flag'
  | 'text'
  | 'path'
  | 'dir'
  | 'source'
  | 'fields'
  | 'choice'
  | 'size'
  | 'duration'
  | 'count'
  | 'number'
  | 'port'
  | 'listen'
  | 'time'
  | 'range'
  | 'zone'
  | 'split';

export type SplitKind = SplitMode['kind'];

/** What a kind's parser needs of the option it parses. */
export interface ValueRules {
  readonly kind: ValueKind;
  /** Smallest value accepted (in the parsed unit: bytes, ms, records). */
  readonly min?: number;
  /** Largest value accepted (in the parsed unit). */
  readonly max?: number;
  /** The words a `choice` takes. */
  readonly choices?: readonly string[];
  /** The kinds of split (-M) a program takes. */
  readonly splits?: readonly SplitKind[];
}

/** What parsing a value gives, by kind. */
export type Parsed<K extends ValueKind> = K extends 'flag'
  ? boolean
  : K extends 'size' | 'duration' | 'count' | 'number' | 'port'
    ? number
    : K extends 'listen'
      ? Listen
      : K extends 'split'
        ? SplitMode
        : string;

const SPLIT_EXAMPLES: Record<SplitKind, string> = { time: 'time 10m', size: 'size 100M', count: 'count 1000000' };

/** How each kind is described in errors and in --help. */
export function expectation(r: ValueRules): string {
  const bound = (unit: (n: number) => string): string =>
    r.min === 1 && (r.kind === 'duration' || r.kind === 'size')
      ? ' above 0'
      : r.min !== undefined && r.min > 0
        ? ` of at least ${unit(r.min)}`
        : r.min === 0
          ? ' (0 or more)'
          : '';
  switch (r.kind) {
    case 'size':
      return `a size${bound((n) => `${n} bytes`)} such as 64K, 1M or 4096 (powers of 1024)`;
    case 'duration':
      return `a duration${bound(formatDuration)} such as 250ms, 10s, 5m, 2h or 30d (a bare number is seconds)`;
    case 'count':
      return `a whole number${bound(String)}${r.max !== undefined ? ` up to ${r.max}` : ''}`;
    case 'number':
      return `a number${bound(String)}`;
    case 'port':
      return r.min === 1 ? 'a TCP port, 1-65535' : 'a TCP port, 0-65535 (0: any free port)';
    case 'listen':
      return 'PORT or ADDR:PORT ([IPV6]:PORT)';
    case 'time':
      return 'a time such as 2026-11-23, 2026-11-23T10:00, 10:00, yesterday or -1h';
    case 'range':
      return 'a time range such as 2026-11-23, 10:00-11:00, -1h or A..B';
    case 'zone':
      return 'an IANA time zone such as Europe/Berlin or UTC';
    case 'split':
      return (r.splits ?? ['time', 'size', 'count']).map((k) => `'${SPLIT_EXAMPLES[k]}'`).join(', ');
    case 'choice':
      return `one of ${(r.choices ?? []).join(', ')}`;
    default:
      return 'a value';
  }
}

export type ValueResult = { ok: true; value: unknown } | { ok: false; expected: string };

/**
 * Parses one value of an option by its kind, or says what was expected. Text kinds are kept
 * as written (a time or range is checked here and read by whoever fixes `now`).
 */
export function parseValue(r: ValueRules, text: string): ValueResult {
  const value = parseByKind(r, text.trim());
  const outside = typeof value === 'number' && ((r.min !== undefined && value < r.min) || (r.max !== undefined && value > r.max));
  return value === undefined || outside ? { ok: false, expected: expectation(r) } : { ok: true, value };
}

function parseByKind(r: ValueRules, t: string): unknown {
  switch (r.kind) {
    case 'size': {
      const bytes = parseSize(t);
      return bytes === undefined ? undefined : Math.round(bytes);
    }
    case 'duration': {
      const ms = parseDuration(t);
      return ms === undefined || !Number.isFinite(ms) ? undefined : ms;
    }
    case 'count':
      return /^\d{1,15}$/.test(t) ? Number(t) : undefined;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : undefined;
    case 'port':
      return /^\d{1,5}$/.test(t) && Number(t) <= 65535 ? Number(t) : undefined;
    case 'listen':
      return parseListen(t);
    case 'time':
      return parseTime(t, Date.now()) ? t : undefined;
    case 'range':
      return parseTimeRange(t, Date.now()) ? t : undefined;
    case 'zone':
      return isTimeZone(t) ? t : undefined;
    case 'split':
      return parseSplit(t, r.splits ?? ['time', 'size', 'count']);
    case 'choice':
      return r.choices?.includes(t) ? t : undefined;
    default:
      return t;
  }
}

/** `3491`, `127.0.0.1:3491` or `[::1]:3491`. */
export function parseListen(t: string): Listen | undefined {
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(t);
  if (!m || Number(m[3]) > 65535) return undefined;
  const host = m[1] ?? m[2];
  return host === undefined ? { port: Number(m[3]) } : { host, port: Number(m[3]) };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `time 10m`, `size 100M`, `count 1000000`. */
function parseSplit(t: string, kinds: readonly SplitKind[]): SplitMode | undefined {
  const [kind, amount = '', ...rest] = t.split(/\s+/);
  if (rest.length || !kinds.includes(kind as SplitKind)) return undefined;
  if (kind === 'time') {
    const ms = parseDuration(amount);
    return ms && ms > 0 && Number.isFinite(ms) ? { kind, ms } : undefined;
  }
  if (kind === 'size') {
    const bytes = Math.round(parseSize(amount) ?? 0);
    // Below 4K a file holds little more than its own header: one file per record or so.
    return bytes >= 4096 ? { kind, bytes } : undefined;
  }
  return /^\d{1,15}$/.test(amount) && Number(amount) > 0 ? { kind: 'count', records: Number(amount) } : undefined;
}

/** How the kinds of value among `kinds` are written: --help and the program pages say it. */
export function kindsLegend(kinds: Iterable<ValueKind>): string[] {
  const has = new Set(kinds);
  const lines: string[] = [];
  if (has.has('duration')) lines.push('Durations: 250ms, 10s, 5m, 2h, 30d (a bare number is seconds).');
  if (has.has('size')) lines.push('Sizes: 4096, 64K, 1M, 2G (powers of 1024).');
  return lines;
}
