/** Sizes in binary units, both ways. */

const SIZE_UNITS = ['', 'K', 'M', 'G', 'T', 'P'];

/**
 * Parses `4096`, `4K`, `1.5M`, `2GiB`, `1TB` (powers of 1024; the B and iB suffixes are optional).
 * Returns undefined for anything else. Not rounded (`0.5` is half a byte): a filter compares
 * exactly, and an option that wants whole bytes rounds.
 */
export function parseSize(text: string): number | undefined {
  const m = /^(-?\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS.indexOf(m[2]!.toUpperCase());
  if (unit === 0 && m[3] && m[3].toLowerCase() === 'ib') return undefined;
  return Number(m[1]) * 1024 ** unit;
}

const DURATION_UNITS: Record<string, number> = { us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `250ms`, `10s`, `5m`, `1h`, `2d`, `1w` (and `us`) into milliseconds; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|min|m|h|d|w)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS[m[2] ?? 's']!;
}

/** A duration as it could be typed back: `10s`, `250ms`. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `950`, `12.3k`, `4.5M`: counts in decimal units with one decimal, for rates in narrow columns. */
export function formatCount(n: number): string {
  const v = Math.round(n);
  if (Math.abs(v) < 1000) return String(v);
  for (const [unit, size] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (Math.abs(v) >= size * 0.9995) return `${(v / size).toFixed(1)}${unit}`;
  }
  return String(v);
}

const IEC_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * `512 B`, `1.5 KiB`, `4.0 GiB`: binary units spelled out, one decimal (1536 B is 1.5 KiB). Every
 * program prints sizes for people this one way: smbta-cat, smbta-top, smbta-query alike.
 */
export function formatSize(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < IEC_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u > 0 && Math.round(v * 10) / 10 >= 1024 && u < IEC_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // Whole bytes as they are; a fraction (a rate below 1 KiB/s) to two decimals, not seventeen.
  const text = u === 0 ? (Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100)) : (Math.round(v * 10) / 10).toFixed(1);
  return `${n < 0 ? '-' : ''}${text} ${IEC_UNITS[u]}`;
}
