/** The `-s` field list: a full list, `all`, or edits of the default (`+client`, `-sid`). */
import { FIELD_NAMES, fieldDef, type FieldName } from '../record/fields.js';
import { suggest } from '../language/suggest.js';
import { UsageError } from '../language/errors.js';

export function parseFieldList(spec: string | undefined, defaults: readonly FieldName[]): FieldName[] {
  if (spec === undefined) return [...defaults];
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`-s '${spec}': no fields given`);
  const editing = items.every((s) => s.startsWith('+') || s.startsWith('-'));
  let out: FieldName[] = editing ? [...defaults] : [];
  for (const item of items) {
    const sign = item[0] === '+' || item[0] === '-' ? item[0] : '';
    const name = item.slice(sign.length).toLowerCase();
    const names = name === 'all' ? FIELD_NAMES : [checkField(name)];
    if (sign === '-') out = out.filter((f) => !names.includes(f));
    else for (const n of names) if (!out.includes(n)) out.push(n);
  }
  if (out.length === 0) throw new UsageError(`-s '${spec}' leaves no fields to print`);
  return out;
}

function checkField(name: string): FieldName {
  const def = fieldDef(name);
  if (!def) {
    const hint = suggest(name, FIELD_NAMES);
    throw new UsageError(`unknown field '${name}' in -s${hint ? `; ${hint}` : ''} (fields: ${FIELD_NAMES.join(', ')})`);
  }
  return def.name;
}
