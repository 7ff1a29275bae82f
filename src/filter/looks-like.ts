/** Whether a command-line word starts a filter expression (rather than naming a file). */
import { fieldDef } from '../record/fields.js';
import { SHORTHANDS } from './parser.js';

/** Operators, parentheses, quotes, spaces, or a leading field name, op name or `not`. */
export function looksLikeFilter(word: string): boolean {
  if (/[=<>~!()&|'"\s]/.test(word)) return true;
  const w = word.toLowerCase();
  return SHORTHANDS[w] !== undefined || w === 'not' || fieldDef(w) !== undefined;
}
