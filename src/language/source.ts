/**
 * Text a user wrote in one of smbta's languages (a filter, a query, a config file), with
 * where it came from, so an error can name `file:line:col` and show the line it is on.
 */
export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units as the text is indexed. */
  readonly column: number;
}

/** Where something is in a source's body: offsets [start, end). */
export interface Loc {
  readonly start: number;
  readonly end: number;
}

export class Source {
  private lineStarts: number[] | undefined;

  /**
   * @param body the text, as written
   * @param name the file it came from, if any (an expression typed on the command line has none)
   */
  constructor(
    readonly body: string,
    readonly name?: string,
  ) {}

  /** True when a caret under one line of `body` says where the mistake is without naming a line. */
  get isOneLine(): boolean {
    return this.name === undefined && !this.body.includes('\n');
  }

  /** Line and column of an offset into `body`. */
  position(offset: number): Position {
    const starts = (this.lineStarts ??= lineStartsOf(this.body));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  }

  /** The text of line `line` (1-based), without its line end. */
  line(line: number): string {
    const starts = (this.lineStarts ??= lineStartsOf(this.body));
    const start = starts[line - 1] ?? this.body.length;
    const next = starts[line];
    return this.body.slice(start, next === undefined ? undefined : next - 1).replace(/\r$/, '');
  }
}

function lineStartsOf(body: string): number[] {
  const starts = [0];
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
