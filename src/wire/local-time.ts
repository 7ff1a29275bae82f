/**
 * Samba's module sends `YYYY-MM-DD hh:mm:ss.mmm` in the file server's local time, without
 * a zone. This converts it to UTC milliseconds in a given IANA zone (or the process's own),
 * caching the zone offset per local hour, since consecutive records share it.
 */

export type LocalTimeConverter = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) => number;

function offsetIn(zone: string | undefined): (utcMs: number) => number {
  if (!zone) return (utc) => -new Date(utc).getTimezoneOffset() * 60_000;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (utc) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(utc)).map((x) => [x.type, Number(x.value)]));
    const asUtc = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
    return asUtc - Math.floor(utc / 1000) * 1000;
  };
}

/** Throws RangeError for an unknown zone name (checked once, at start-up). */
export function createLocalTimeConverter(zone?: string): LocalTimeConverter {
  const offset = offsetIn(zone);
  let cachedHour = NaN;
  let cachedOffset = 0;
  return (y, mo, d, h, mi, s, ms) => {
    const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const hour = Math.floor(local / 3_600_000);
    if (hour !== cachedHour) {
      // Two passes find the offset in force at the instant this local time names.
      const first = offset(local);
      cachedOffset = offset(local - first);
      cachedHour = hour;
    }
    return local - cachedOffset;
  };
}
