/**
 * Text as a terminal shows it: East Asian wide characters take two columns, combining marks
 * none. Columns of names such as 田中 or 予算.xlsx stay aligned. (string-width does the
 * measuring; printable ASCII, nearly all of what is printed, skips it, and so a program
 * loads it only when it meets other text: loading it costs 50-70 ms, its Unicode tables
 * and Intl.Segmenter.)
 */
import { createRequire } from 'node:module';

const ASCII = /^[\x20-\x7e]*$/;
let stringWidth: ((s: string) => number) | undefined;

/** Columns `s` takes on a terminal. */
export function displayWidth(s: string): number {
  if (ASCII.test(s)) return s.length;
  stringWidth ??= (createRequire(import.meta.url)('string-width') as { default: (s: string) => number }).default;
  return stringWidth(s);
}

/** `s` followed by spaces to `width` columns. */
export function padEndTo(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

/** Spaces, then `s`, to `width` columns. */
export function padStartTo(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(s))) + s;
}

/** `s` cut to `width` columns (with … when cut), padded to exactly `width`. */
export function fitTo(s: string, width: number): string {
  if (displayWidth(s) <= width) return padEndTo(s, width);
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return padEndTo(`${out}…`, width);
}

/**
 * `s` cut to `width` columns in its middle (its start, …, its end), padded to exactly
 * `width`: for paths, whose start names the server and share and whose end the file.
 */
export function fitMiddleTo(s: string, width: number): string {
  if (displayWidth(s) <= width) return padEndTo(s, width);
  const chars = [...s];
  let head = '';
  for (const ch of chars) {
    if (displayWidth(head + ch) > Math.floor(width / 3)) break;
    head += ch;
  }
  let tail = '';
  for (const ch of chars.reverse()) {
    if (displayWidth(head + ch + tail) > width - 1) break;
    tail = ch + tail;
  }
  return padEndTo(`${head}…${tail}`, width);
}
