/**
 * Errors in what a user wrote: a mistake in one of smbta's languages (filter, query,
 * config file, rule file) carries where it is, so it can be shown with a caret; a bad
 * option or argument is a usage error. Both mean exit status 2.
 */
import { printLocation } from './print-location.js';
import { Source, type Loc } from './source.js';

export class LanguageError extends Error {
  readonly source: Source;

  constructor(
    message: string,
    source: string | Source,
    readonly loc: Loc,
    readonly hint?: string,
  ) {
    super(message);
    this.source = typeof source === 'string' ? new Source(source) : source;
  }

  /** 1-based column on the mistake's line. */
  get column(): number {
    return this.source.position(this.loc.start).column;
  }
}

/** A bad option or argument. */
export class UsageError extends Error {}

/**
 * An expression typed on one line: `message at column N[; hint]`, the expression, a caret.
 * Anything from a file or over several lines: `file:line:col: message[; hint]`, that line, a caret.
 */
export function formatLanguageError(err: LanguageError): string {
  return `${describeLanguageError(err)}\n${printLocation(err.source, err.loc)}`;
}

/** The first line of formatLanguageError: where and what, for messages that must stay on one line. */
export function describeLanguageError(err: LanguageError): string {
  const hint = err.hint ? `; ${err.hint}` : '';
  const { source, loc } = err;
  if (source.isOneLine) return `${err.message} at column ${err.column}${hint}`;
  const at = source.position(loc.start);
  return `${source.name ?? 'line'}${source.name ? ':' : ' '}${at.line}:${at.column}: ${err.message}${hint}`;
}
