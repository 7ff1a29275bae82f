/** The line a mistake is on, with carets under it (as jq and graphql-js print them). */
import type { Loc, Source } from './source.js';

export function printLocation(source: Source, loc: Loc): string {
  const at = source.position(loc.start);
  const text = source.line(at.line);
  // A mistake running past its line's end (an unclosed quote) is marked to the line's end.
  const width = Math.max(1, Math.min(loc.end - loc.start, text.length - at.column + 1));
  return `  ${text}\n  ${' '.repeat(at.column - 1)}${'^'.repeat(width)}`;
}
