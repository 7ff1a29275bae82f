/**
 * Splits a filter expression into tokens with positions. Keywords (and, or, not, in)
 * are plain words here; the parser gives them meaning in context.
 */
import { LanguageError } from '../language/errors.js';
import { type Loc } from '../language/source.js';

export const enum T {
  Word = 'word',
  String = 'quoted string',
  Eq = "'='",
  Ne = "'!='",
  Match = "'~'",
  NotMatch = "'!~'",
  Lt = "'<'",
  Le = "'<='",
  Gt = "'>'",
  Ge = "'>='",
  LParen = "'('",
  RParen = "')'",
  Comma = "','",
  And = "'&&'",
  Or = "'||'",
  Not = "'!'",
  Eof = 'end of expression',
}

export interface Token extends Loc {
  readonly kind: T;
  /** Word text, or a string's unescaped contents. */
  readonly value: string;
}

/** More tokens than any hand-written expression needs; bounds work on hostile input. */
export const MAX_TOKENS = 10_000;

const PUNCT2: Record<string, T> = { '==': T.Eq, '!=': T.Ne, '!~': T.NotMatch, '<=': T.Le, '>=': T.Ge, '&&': T.And, '||': T.Or };
const PUNCT1: Record<string, T> = {
  '=': T.Eq,
  '~': T.Match,
  '<': T.Lt,
  '>': T.Gt,
  '(': T.LParen,
  ')': T.RParen,
  ',': T.Comma,
  '!': T.Not,
};
const WORD_STOP = /[\s()=!<>~&|,'"]/;

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: T, start: number, end: number, value: string): void => {
    if (tokens.length >= MAX_TOKENS) throw new LanguageError(`expression has more than ${MAX_TOKENS} tokens`, source, { start, end });
    tokens.push({ kind, start, end, value });
  };
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      i = readString(source, i, push);
      continue;
    }
    const pair = source.slice(i, i + 2);
    const two = PUNCT2[pair];
    if (two) {
      push(two, i, i + 2, pair);
      i += 2;
      continue;
    }
    const one = PUNCT1[c];
    if (one) {
      push(one, i, i + 1, c);
      i++;
      continue;
    }
    if (c === '&' || c === '|') {
      throw new LanguageError(`unexpected '${c}'`, source, { start: i, end: i + 1 }, `did you mean '${c}${c}'?`);
    }
    const start = i;
    while (i < source.length && !WORD_STOP.test(source[i]!)) i++;
    push(T.Word, start, i, source.slice(start, i));
  }
  push(T.Eof, source.length, source.length, '');
  return tokens;
}

function readString(source: string, start: number, push: (k: T, s: number, e: number, v: string) => void): number {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  while (i < source.length && source[i] !== quote) {
    if (source[i] === '\\' && i + 1 < source.length) {
      const next = source[i + 1]!;
      // Keep the backslash before glob and regex characters: the value's own syntax decides.
      value += next === quote || next === '\\' ? next : '\\' + next;
      i += 2;
    } else {
      value += source[i++];
    }
  }
  if (i >= source.length) {
    throw new LanguageError('unterminated string', source, { start, end: source.length }, `close it with ${quote}`);
  }
  push(T.String, start, i + 1, value);
  return i + 1;
}
