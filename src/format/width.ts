/**
 * Text as a terminal shows it: East Asian wide characters take two columns, combining marks
 * none. Columns of names such as 田中 or 予算.xlsx stay aligned. (string-width does the
 * measuring; printable ASCII, nearly all of what is printed, skips it.)
 */
import stringWidth from 'string-width';

const ASCII = /^[\x20-\x7e]*$/;

/** Columns `s` takes on a terminal. */
export function displayWidth(s: string): number {
  return ASCII.test(s) ? s.length : stringWidth(s);
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
