/** Words several commands share, kept once. */
import type { Trailing } from '../cli/program.js';
import { looksLikeFilter } from '../filter/looks-like.js';
import { UsageError } from '../language/errors.js';

export const FILTER_POSITIONAL: Trailing = {
  name: 'filter',
  describe: "filter expression selecting records, e.g. 'user=bob and bytes>1M' (see docs/filter.md)",
  looksLike: looksLikeFilter,
  complete: { filter: true },
};

export const READER_EXIT_STATUS =
  '0 when all input was read (a truncated last block is only a warning), 1 when input was missing or damaged (readable records are still printed), 2 for a bad option or filter.';

/** `--server-name ADDR=NAME` options as a map from address to name. */
export function parseServerNames(list: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of list) {
    const eq = m.indexOf('=');
    if (eq <= 0 || eq === m.length - 1) throw new UsageError(`--server-name ${m}: expected ADDR=NAME`);
    names.set(m.slice(0, eq), m.slice(eq + 1));
  }
  return names;
}
