/** Text made safe inside HTML, XML and SVG, in content and in quoted attributes alike. */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeMarkup(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
