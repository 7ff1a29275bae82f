/** One-line bar charts from eighth blocks, as spark(1) draws them. */
const BARS = ' ▁▂▃▄▅▆▇█';

/**
 * The last `width` values as a line of bars scaled to `max` (default: their largest), so
 * two series drawn with the same `max` compare by eye. A value above zero always shows.
 */
export function sparkline(values: readonly number[], width: number, max?: number): string {
  const shown = values.slice(Math.max(0, values.length - width));
  const top = max ?? Math.max(0, ...shown);
  let out = ' '.repeat(Math.max(0, width - shown.length));
  for (const v of shown) out += v <= 0 || top <= 0 ? BARS[0] : BARS[Math.max(1, Math.min(8, Math.round((v / top) * 8)))];
  return out;
}
