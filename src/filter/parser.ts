/**
 * Recursive-descent parser for the filter language (grammar in docs/filter.md).
 * `and` binds tighter than `or`; `not` tighter than both.
 */
import { FIELD_NAMES, OPS, fieldDef, type FieldName } from '../record/fields.js';
import type { CompareOp, Expr, ValueNode } from './ast.js';
import { LanguageError } from '../language/errors.js';
import { suggest } from '../language/suggest.js';
import { type Loc } from '../language/source.js';
import { T, tokenize, type Token } from './lexer.js';
import { wordTable } from '../format/word-table.js';

/** Deeper nesting than this is refused rather than risking the stack. */
export const MAX_DEPTH = 200;

/** Words that stand alone for an op test: `read` is read or pread, `write` is write or pwrite. */
export const SHORTHANDS = wordTable<readonly string[]>({
  ...Object.fromEntries(OPS.map((op) => [op, [op]])),
  read: ['read', 'pread'],
  write: ['write', 'pwrite'],
});

const COMPARE: Partial<Record<T, CompareOp>> = {
  [T.Eq]: '=',
  [T.Ne]: '!=',
  [T.Match]: '~',
  [T.NotMatch]: '!~',
  [T.Lt]: '<',
  [T.Le]: '<=',
  [T.Gt]: '>',
  [T.Ge]: '>=',
};

export function parseFilter(source: string): Expr {
  return new Parser(source).parseExpression();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private depth = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  private get tok(): Token {
    return this.tokens[this.i]!;
  }

  /** The current token's kind; a call, so TypeScript does not narrow it across parse steps. */
  private kindNow(): T {
    return this.tok.kind;
  }

  private next(): Token {
    return this.tokens[this.i++]!;
  }

  private isWord(word: string, at = this.i): boolean {
    const t = this.tokens[at]!;
    return t.kind === T.Word && t.value.toLowerCase() === word;
  }

  private fail(message: string, loc: Loc, hint?: string): never {
    throw new LanguageError(message, this.source, loc, hint);
  }

  private unexpected(expected: string): never {
    const t = this.tok;
    const found = t.kind === T.Word || t.kind === T.String ? `'${t.value}'` : t.kind;
    this.fail(`expected ${expected}, found ${found}`, t.kind === T.Eof ? { start: t.start, end: t.start + 1 } : t);
  }

  private expect(kind: T): Token {
    if (this.tok.kind !== kind) this.unexpected(kind);
    return this.next();
  }

  /** Expression := OrExpr EOF | EOF */
  parseExpression(): Expr {
    if (this.tok.kind === T.Eof) return { kind: 'all', loc: { start: 0, end: 0 } };
    const e = this.parseOr();
    if (this.kindNow() !== T.Eof) {
      this.unexpected(this.tok.kind === T.RParen ? "'and', 'or' or end of expression (unbalanced ')')" : "'and', 'or' or end of expression");
    }
    return e;
  }

  /** OrExpr := AndExpr { ("or" | "||") AndExpr } */
  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.tok.kind === T.Or || this.isWord('or')) {
      this.next();
      const right = this.parseAnd();
      left = { kind: 'or', left, right, loc: { start: left.loc.start, end: right.loc.end } };
    }
    return left;
  }

  /** AndExpr := NotExpr { ("and" | "&&") NotExpr } */
  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.tok.kind === T.And || this.isWord('and')) {
      this.next();
      const right = this.parseNot();
      left = { kind: 'and', left, right, loc: { start: left.loc.start, end: right.loc.end } };
    }
    return left;
  }

  /** NotExpr := ("not" | "!") NotExpr | Primary */
  private parseNot(): Expr {
    if (this.tok.kind === T.Not || this.isWord('not')) {
      const start = this.next().start;
      const operand = this.nested(() => this.parseNot());
      return { kind: 'not', operand, loc: { start, end: operand.loc.end } };
    }
    return this.parsePrimary();
  }

  private nested<X>(f: () => X): X {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nested deeper than ${MAX_DEPTH} levels`, this.tok);
    const x = f();
    this.depth--;
    return x;
  }

  /** Primary := "(" OrExpr ")" | Comparison | Shorthand */
  private parsePrimary(): Expr {
    const t = this.tok;
    if (t.kind === T.LParen) {
      this.next();
      const e = this.nested(() => this.parseOr());
      if (this.tok.kind !== T.RParen) {
        if (this.tok.kind === T.Eof) this.fail("unbalanced '(': missing ')'", t);
        this.unexpected("')'");
      }
      this.next();
      return e;
    }
    if (t.kind !== T.Word) this.unexpected('a field name');
    const opFollows =
      COMPARE[this.tokens[this.i + 1]!.kind] !== undefined ||
      this.isWord('in', this.i + 1) ||
      (this.isWord('not', this.i + 1) && this.isWord('in', this.i + 2));
    if (!opFollows) return this.parseShorthand();
    return this.parseComparison();
  }

  /** Shorthand := "read" | "write" | OpName */
  private parseShorthand(): Expr {
    const t = this.next();
    const ops = SHORTHANDS[t.value.toLowerCase()];
    if (ops) {
      const values = ops.map((text) => ({ text, quoted: false, loc: t }));
      return { kind: 'compare', field: 'op', op: 'in', values, loc: t, opLoc: t };
    }
    if (fieldDef(t.value)) this.fail(`field '${t.value}' needs an operator and a value`, t, `e.g. ${t.value}=...`);
    const known = [...FIELD_NAMES, ...Object.keys(SHORTHANDS)];
    this.fail(`unknown field or operation '${t.value}'`, t, suggest(t.value, known));
  }

  /** Comparison := Field CompareOp ValueList | Field ["not"] "in" ( "(" ValueList ")" | ValueList ) */
  private parseComparison(): Expr {
    const f = this.next();
    const def = fieldDef(f.value.toLowerCase());
    if (!def) this.fail(`unknown field '${f.value}'`, f, suggest(f.value, FIELD_NAMES));
    const field: FieldName = def.name;
    const opTok = this.next();
    let op = COMPARE[opTok.kind];
    let opLoc: Loc = opTok;
    if (!op) {
      op = opTok.value.toLowerCase() === 'not' ? 'not in' : 'in';
      if (op === 'not in') opLoc = { start: opTok.start, end: this.next().end };
    }
    let values: ValueNode[];
    if ((op === 'in' || op === 'not in') && this.tok.kind === T.LParen) {
      this.next();
      values = this.parseValueList();
      this.expect(T.RParen);
    } else {
      values = this.parseValueList();
    }
    const last = values[values.length - 1]!;
    return { kind: 'compare', field, op, values, loc: { start: f.start, end: last.loc.end }, opLoc };
  }

  /** ValueList := Value { "," Value } ; Value := Word | String */
  private parseValueList(): ValueNode[] {
    const values: ValueNode[] = [];
    do {
      const t = this.tok;
      if (t.kind !== T.Word && t.kind !== T.String) this.unexpected('a value');
      this.next();
      values.push({ text: t.value, quoted: t.kind === T.String, loc: t });
    } while (this.tok.kind === T.Comma && this.next());
    return values;
  }
}
