/**
 * The lines of an INI file as smbta's config and rule files write them: `[section]`,
 * `key = value`, comments after `;` or `#` (at a line's start or after a space, outside a
 * quoted value's end), blank lines skipped. Each line comes with a `fail` that throws a
 * LanguageError at its file:line:col.
 */
import { LanguageError } from './errors.js';
import type { Source } from './source.js';

export interface IniLine {
  /** The section name of a `[section]` line. */
  section?: string;
  /** A `key = value` line: the key, the value, and the value's column (0-based) on the line. */
  key?: string;
  value?: string;
  valueAt?: number;
  /** Where the line's text starts (after its indent), 0-based, and its length without comment. */
  indent: number;
  length: number;
  /** Offset of the value in the whole text (for errors inside it, a filter's caret). */
  offset: number;
  fail: (message: string, start: number, length: number, hint?: string) => never;
}

export function forEachIniLine(source: Source, visit: (line: IniLine) => void): void {
  let offset = 0;
  for (const raw of source.body.split('\n')) {
    const at = offset;
    offset += raw.length + 1;
    const fail = (message: string, start: number, length: number, hint?: string): never => {
      throw new LanguageError(message, source, { start: at + start, end: at + start + Math.max(1, length) }, hint);
    };
    const text = raw.replace(/(^|\s)[;#](?=[^'"]*$).*$/, '').trimEnd();
    const indent = text.length - text.trimStart().length;
    const line = text.trim();
    if (!line) continue;
    const head = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (head) {
      visit({ section: head[1]!, indent, length: line.length, offset: at + indent, fail });
      continue;
    }
    const kv = /^([A-Za-z][\w-]*)(\s*=\s*)(.*)$/.exec(line);
    const valueAt = kv ? indent + kv[1]!.length + kv[2]!.length : undefined;
    visit({ key: kv?.[1], value: kv?.[3], valueAt, indent, length: line.length, offset: at + (valueAt ?? indent), fail });
  }
}
