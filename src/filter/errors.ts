/** Errors in an expression, carrying where they are so they can be shown with a caret. */
export interface Loc {
  readonly start: number;
  readonly end: number;
}

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly loc: Loc,
    readonly hint?: string,
  ) {
    super(message);
  }

  get column(): number {
    return this.loc.start + 1;
  }
}

/** `message at column N[; hint]`, then the expression and a caret line under the mistake. */
export function formatFilterError(err: FilterSyntaxError): string {
  const width = Math.max(1, err.loc.end - err.loc.start);
  const caret = ' '.repeat(err.loc.start) + '^'.repeat(width);
  const hint = err.hint ? `; ${err.hint}` : '';
  return `${err.message} at column ${err.column}${hint}\n  ${err.source}\n  ${caret}`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest candidate within a small edit distance, as a hint, or undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  // Short words tolerate one slip, longer ones two: 'usr' → 'user', but 'bob' suggests nothing.
  let bestD = word.length <= 4 ? 2 : 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best && `did you mean '${best}'?`;
}
