/**
 * smbta-alert's rules: `[rule NAME]` sections of the -c file (INI, as every program's
 * config), each key checked, so a mistake is an error at its file:line:col with a caret.
 *
 *     [rule mass-rename]
 *     select    = rename            ; the filter language (docs/filter.md)
 *     by        = user              ; fields whose values make a group
 *     measure   = operations        ; operations, bytes, paths, extensions, failures
 *     over      = 1m                ; the window, on record time
 *     above     = 1000              ; alert when the measure exceeds this (sizes: 10G)
 *     quiet-for = 10m               ; one alert per group until it has been below for this long
 *     severity  = high              ; low, medium, high, critical
 *     hours     = 07:00-19:00 mon-fri ; only records outside these (local) hours count
 *     baseline  = 14d               ; `over` periods (local days) against the group's usual:
 *     times     = 5                 ; alert above 5x its mean period of the last 14d, and above `above`
 */
import { compileFilter, type BatchFilter } from '../filter/compile.js';
import { parseFilter } from '../filter/parser.js';
import { parseDuration, parseSize } from '../format/units.js';
import { LanguageError } from '../language/errors.js';
import { forEachIniLine } from '../language/ini-lines.js';
import { Source } from '../language/source.js';
import { suggest } from '../language/suggest.js';
import { MEASURES, SEVERITIES, type Measure, type Severity } from '../record/alert.js';
import { FIELD_NAMES, type FieldName } from '../record/fields.js';

export interface Rule {
  name: string;
  /** The selection as written, and compiled (undefined: every record). */
  select: string;
  filter: BatchFilter | undefined;
  by: FieldName[];
  measure: Measure;
  overMs: number;
  above: number;
  quietForMs: number;
  severity: Severity;
  /** Working hours (local time): records within them do not count. */
  hours?: Hours;
  /**
   * Against the group's usual: windows are whole `over` periods of local time, and the
   * group alerts above `times` its mean period over the last `baselineMs` (and above `above`).
   */
  baselineMs?: number;
  times?: number;
}

export interface Hours {
  /** Minutes after midnight: from (inclusive) to (exclusive). */
  from: number;
  to: number;
  /** Days of the week they apply to (0 Sunday); the other days are outside all day. */
  days: ReadonlySet<number>;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const KEYS = ['select', 'by', 'measure', 'over', 'above', 'quiet-for', 'severity', 'hours', 'baseline', 'times'] as const;
type Key = (typeof KEYS)[number];
const REQUIRED: readonly Key[] = ['measure', 'over', 'above'];

/** Every `[rule NAME]` section of `text` (other sections are the programs' options: skipped). */
export function parseRules(text: string, name?: string): Rule[] {
  const source = new Source(text, name);
  const rules: Rule[] = [];
  let current: { name: string; at: number; values: Map<Key, { text: string; at: number }> } | undefined;
  const finish = (): void => {
    if (current) rules.push(buildRule(current.name, current.values, source, current.at));
    current = undefined;
  };
  forEachIniLine(source, ({ section, key, value = '', offset, indent, length, fail }) => {
    if (section !== undefined) {
      finish();
      const rule = /^rule\s+([\w.-]+)$/.exec(section);
      if (rule) {
        if (rules.some((r) => r.name === rule[1])) fail(`rule '${rule[1]}' is defined twice`, indent, length);
        current = { name: rule[1]!, at: offset, values: new Map() };
      } else if (/^rule\b/.test(section)) fail('a rule section is [rule NAME] (letters, digits, . _ -)', indent, length);
      return;
    }
    if (!current) return; // a program's section: its options, read by the command line's parser
    if (key === undefined) return fail(`expected 'key = value' or '[rule NAME]'`, indent, length);
    if (!(KEYS as readonly string[]).includes(key)) return fail(`unknown key '${key}' in [rule ${current.name}]`, indent, key.length, suggest(key, KEYS));
    if (current.values.has(key as Key)) fail(`'${key}' is set twice in [rule ${current.name}]`, indent, key.length);
    current.values.set(key as Key, { text: value, at: offset });
  });
  finish();
  return rules;
}

function buildRule(name: string, values: Map<Key, { text: string; at: number }>, source: Source, at: number): Rule {
  const fail = (key: Key, message: string, hint?: string): never => {
    const v = values.get(key);
    throw new LanguageError(message, source, v ? { start: v.at, end: v.at + Math.max(1, v.text.length) } : { start: at, end: at + 1 }, hint);
  };
  for (const key of REQUIRED) if (!values.has(key)) fail(key, `[rule ${name}] needs '${key} = ...'`);
  const text = (key: Key): string | undefined => values.get(key)?.text;
  const measure = text('measure')!;
  if (!(MEASURES as readonly string[]).includes(measure)) fail('measure', `unknown measure '${measure}'`, `measures are ${MEASURES.join(', ')}`);
  const overMs = parseDuration(text('over')!);
  if (!overMs) fail('over', `over = ${text('over')}: expected a duration (1m, 24h)`);
  const above = measure === 'bytes' ? parseSize(text('above')!) : /^\d+$/.test(text('above')!) ? Number(text('above')) : undefined;
  if (above === undefined || above < 0) fail('above', `above = ${text('above')}: expected ${measure === 'bytes' ? 'a size (10G, 500M)' : 'a whole number'}`);
  const quiet = text('quiet-for') === undefined ? overMs : parseDuration(text('quiet-for')!);
  if (quiet === undefined) fail('quiet-for', `quiet-for = ${text('quiet-for')}: expected a duration (10m)`);
  const severity = text('severity') ?? 'medium';
  if (!(SEVERITIES as readonly string[]).includes(severity)) fail('severity', `unknown severity '${severity}'`, `severities are ${SEVERITIES.join(', ')}`);
  const by = (text('by') ?? '').split(/[\s,]+/).filter(Boolean);
  for (const f of by)
    if (!(FIELD_NAMES as readonly string[]).includes(f))
      fail('by', `unknown field '${f}' in by`, suggest(f, FIELD_NAMES) ?? `fields are ${FIELD_NAMES.join(', ')}`);
  const hours = text('hours') === undefined ? undefined : parseHours(text('hours')!);
  if (hours === null) fail('hours', `hours = ${text('hours')}: expected HH:MM-HH:MM, and optionally days (07:00-19:00 mon-fri)`);
  const baseline =
    text('baseline') === undefined ? undefined : parseBaseline(text('baseline')!, text('times'), overMs!, measure as Measure, (k, m) => fail(k, m));
  if (!baseline && text('times') !== undefined) fail('times', "'times' compares with a group's usual: it needs 'baseline = ...' (14d)");
  const select = text('select') ?? '';
  return {
    name,
    select,
    filter: select ? compileSelection(select, values.get('select')!.at, source) : undefined,
    by: by as FieldName[],
    measure: measure as Measure,
    overMs: overMs!,
    above: above!,
    quietForMs: quiet!,
    severity: severity as Severity,
    ...(hours ? { hours } : {}),
    ...baseline,
  };
}

/** `baseline` and `times`: a duration of at least two whole `over` periods, and a factor over 0 (5 when not given). */
function parseBaseline(
  text: string,
  times: string | undefined,
  overMs: number,
  measure: Measure,
  fail: (key: Key, message: string) => never,
): Pick<Rule, 'baselineMs' | 'times'> {
  if (measure === 'paths' || measure === 'extensions') fail('baseline', `a baseline is kept of sums: measure operations, bytes or failures, not ${measure}`);
  const ms = parseDuration(text);
  if (!ms || ms % overMs !== 0 || ms < 2 * overMs) fail('baseline', `baseline = ${text}: expected a duration of two or more whole 'over' periods (14d)`);
  const factor = times === undefined ? 5 : /^\d+(\.\d+)?$/.test(times) ? Number(times) : 0;
  if (!(factor > 0)) fail('times', `times = ${times}: expected a number above 0 (5, 2.5)`);
  return { baselineMs: ms, times: factor };
}

/** `07:00-19:00`, `07:00-19:00 mon-fri`, `22:00-06:00 sat-sun`; null when it is not that. */
function parseHours(text: string): Hours | null {
  const m = /^(\d{1,2}):(\d\d)-(\d{1,2}):(\d\d)(?:\s+([a-z]{3})-([a-z]{3}))?$/i.exec(text.trim());
  if (!m) return null;
  const [from, to] = [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
  const [first, last] = [DAYS.indexOf((m[5] ?? 'sun').toLowerCase()), DAYS.indexOf((m[6] ?? 'sat').toLowerCase())];
  if (from > 24 * 60 || to > 24 * 60 || first < 0 || last < 0) return null;
  const days = new Set<number>();
  for (let d = first; ; d = (d + 1) % 7) {
    days.add(d);
    if (d === last) break;
  }
  return { from, to, days };
}

/** Whether `t` (ms since the epoch) falls within working hours, in local time (--tz). */
export function withinHours(h: Hours, t: number): boolean {
  const d = new Date(t);
  const minute = d.getHours() * 60 + d.getMinutes();
  // A span across midnight (22:00-06:00) is the minutes after its start or before its end.
  const inSpan = h.from <= h.to ? minute >= h.from && minute < h.to : minute >= h.from || minute < h.to;
  return h.days.has(d.getDay()) && inSpan;
}

/** The filter of a rule, its errors placed in the file (the filter's own caret, shifted to the value). */
function compileSelection(select: string, at: number, source: Source): BatchFilter {
  try {
    return compileFilter(parseFilter(select), select);
  } catch (err) {
    if (!(err instanceof LanguageError)) throw err;
    throw new LanguageError(err.message, source, { start: at + err.loc.start, end: at + err.loc.end }, err.hint);
  }
}
