/**
 * Timestamp text for output. Records arrive mostly in time order, so each formatter
 * caches the text of the current second and only appends milliseconds.
 */

/** Dates a JavaScript Date can hold; anything else prints as the raw number. */
const MAX_DATE = 8.64e15;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function cachedBySecond(prefixOf: (sec: number) => string, suffix: string): (ms: number) => string {
  let lastSec = NaN;
  let prefix = '';
  return (ms) => {
    if (!(Math.abs(ms) <= MAX_DATE)) return String(ms);
    const sec = Math.floor(ms / 1000);
    if (sec !== lastSec) {
      lastSec = sec;
      prefix = prefixOf(sec);
    }
    return `${prefix}.${pad(ms - sec * 1000, 3)}${suffix}`;
  };
}

/** `2026-11-23 11:00:00.123` in the local zone (TZ). */
export function createLocalFormatter(): (ms: number) => string {
  return cachedBySecond((sec) => {
    const d = new Date(sec * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }, '');
}

/** `850us`, `12.3ms`, `1.20s` from microseconds. */
export function formatLatency(us: number): string {
  if (us < 1000) return `${us}us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

const localText = createLocalFormatter();

/** `2026-11-23 11:00` in the local zone (TZ): a time to the minute, for headings and reports. */
export function formatLocalMinute(ms: number): string {
  return localText(ms).slice(0, 16);
}
