/** The filter language's syntax tree: readonly nodes with a kind and a location. */
import type { FieldName } from '../record/fields.js';
import type { Loc } from '../language/source.js';

export type CompareOp = '=' | '!=' | '~' | '!~' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

export interface ValueNode {
  readonly text: string;
  readonly quoted: boolean;
  readonly loc: Loc;
}

export type Expr =
  | { readonly kind: 'all'; readonly loc: Loc }
  | { readonly kind: 'or' | 'and'; readonly left: Expr; readonly right: Expr; readonly loc: Loc }
  | { readonly kind: 'not'; readonly operand: Expr; readonly loc: Loc }
  | {
      readonly kind: 'compare';
      readonly field: FieldName;
      readonly op: CompareOp;
      readonly values: readonly ValueNode[];
      readonly loc: Loc;
      readonly opLoc: Loc;
    };

/** Prints an expression fully parenthesised: what `smbta-filter --explain` shows. */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'all':
      return 'all';
    case 'or':
    case 'and':
      return `(${printExpr(e.left)} ${e.kind} ${printExpr(e.right)})`;
    case 'not':
      return `(not ${printExpr(e.operand)})`;
    case 'compare': {
      const vals = e.values.map((v) => (v.quoted || /[\s(),'"=!<>~&|]/.test(v.text) || v.text === '' ? JSON.stringify(v.text) : v.text));
      const list = e.op === 'in' || e.op === 'not in' ? `(${vals.join(', ')})` : vals.join(',');
      return `(${e.field} ${e.op} ${list})`;
    }
  }
}
