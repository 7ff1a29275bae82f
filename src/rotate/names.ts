/**
 * File names of a rotated archive: `-w` patterns with strftime fields (%Y %m %d %H %M %S,
 * local time) and record fields ($share $user $server), never-overwrite variants, and the
 * pattern as a regular expression (to find our own files for --keep).
 */
import { EXTENSION } from '../io/temp-files.js';
import type { SmbRecord } from '../record/fields.js';

export { unusedName } from '../io/temp-files.js';

const RECORD_FIELDS = ['share', 'user', 'server'] as const;
type PatternField = (typeof RECORD_FIELDS)[number];
/** `$share`, `$user` or `$server` in a pattern. */
const FIELD_REF = new RegExp(`\\$(${RECORD_FIELDS.join('|')})\\b`, 'g');

/** True when files are split by record fields as well as by time. */
export function hasRecordFields(pattern: string): boolean {
  return new RegExp(FIELD_REF.source).test(pattern);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** A record value made safe as one path component. */
function component(v: string): string {
  const s = v.replace(/[/\\\0]/g, '_').replace(/^\.+/, (m) => '_'.repeat(m.length));
  return s || '_';
}

/** Expands the $fields of a pattern from a record (the strftime fields stay). */
export function expandFields(pattern: string, r: SmbRecord): string {
  return pattern.replace(FIELD_REF, (_, f: PatternField) => component(r[f]));
}

/** Expands the strftime fields of a pattern at time `ms` (local zone). */
export function expandTime(pattern: string, ms: number): string {
  const d = new Date(ms);
  const map: Record<string, string> = {
    Y: String(d.getFullYear()),
    m: pad(d.getMonth() + 1),
    d: pad(d.getDate()),
    H: pad(d.getHours()),
    M: pad(d.getMinutes()),
    S: pad(d.getSeconds()),
    '%': '%',
  };
  return pattern.replace(/%([YmdHMS%])/g, (_, c: string) => map[c]!);
}

/** Checks a pattern; returns what is wrong, or undefined. */
export function checkPattern(pattern: string): string | undefined {
  const bad = /%([^YmdHMS%])|%$/.exec(pattern);
  if (bad) return `'%${bad[1] ?? ''}' is not a supported field (use %Y %m %d %H %M %S)`;
  const field = /\$(\w+)/.exec(pattern.replace(FIELD_REF, ''));
  if (field) return `'$${field[1]}' is not a supported field (use $share, $user or $server)`;
  return undefined;
}

/** The final extension of a file name (`.smbta`, `.smbta.bz2`), where -N variants go in front of. */

/** The directory every file of the pattern lies under (the part before its first field). */
export function baseDir(pattern: string): string {
  const first = pattern.search(/[%$]/);
  const fixed = first < 0 ? pattern : pattern.slice(0, first);
  const slash = fixed.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : fixed.slice(0, slash);
}

/** Matches the files this pattern makes (with -N variants and .bz2), as paths. */
export function patternRegExp(pattern: string): RegExp {
  const at = EXTENSION.exec(pattern)!.index;
  return new RegExp(`^${toRegExp(pattern.slice(0, at))}(?:-\\d+)?${toRegExp(pattern.slice(at).replace(/\.bz2$/, ''))}(?:\\.bz2)?$`);
}

function toRegExp(pattern: string): string {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '%' && i + 1 < pattern.length) {
      const f = pattern[++i]!;
      re += f === 'Y' ? '\\d{4}' : f === '%' ? '%' : '\\d{2}';
    } else if (c === '$') {
      const m = new RegExp(`^${FIELD_REF.source}`).exec(pattern.slice(i));
      if (m) {
        re += '[^/]+';
        i += m[0].length - 1;
      } else re += '\\$';
    } else re += /[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c;
  }
  return re;
}
