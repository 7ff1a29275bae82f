/**
 * Periods of record time as people count them: in the zone in force (TZ, which --tz sets),
 * through daylight-saving changes. A span that divides a day starts at local clock
 * boundaries (10-minute files at :00, :10...; hours at local hours, also in half-hour zones);
 * a span of whole days starts at local midnight, and one of whole weeks on a Monday.
 */
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday after the epoch, as a day number. */
const FIRST_MONDAY = 4;

let offsetHour = NaN;
let offsetMs = 0;

/** The local zone's offset from UTC at `t`, in ms (looked up once per hour of time: it changes at most on the hour). */
export function localOffset(t: number): number {
  const hour = Math.floor(t / HOUR);
  if (hour !== offsetHour) {
    offsetHour = hour;
    offsetMs = -new Date(t).getTimezoneOffset() * 60_000;
  }
  return offsetMs;
}

/** The local day holding `t`, as days since 1970-01-01 in local dates. */
function localDay(t: number): number {
  return Math.floor((t + localOffset(t)) / DAY);
}

/** The instant local day `d` begins (its local midnight). */
function startOfLocalDay(d: number): number {
  const guess = d * DAY - localOffset(d * DAY);
  return d * DAY - localOffset(guess);
}

/** The start of the period of `span` ms that holds `t`. */
export function periodStart(t: number, span: number): number {
  if (span % DAY === 0) {
    const days = span / DAY;
    const anchor = span % WEEK === 0 ? FIRST_MONDAY : 0;
    return startOfLocalDay(Math.floor((localDay(t) - anchor) / days) * days + anchor);
  }
  const off = localOffset(t);
  return Math.floor((t + off) / span) * span - off;
}

/** The start of the period after the one starting at `start` (a local day may be 23 or 25 hours long). */
export function nextPeriod(start: number, span: number): number {
  if (span % DAY === 0) return startOfLocalDay(localDay(start) + span / DAY);
  const next = periodStart(start + span, span);
  return next > start ? next : start + span;
}
