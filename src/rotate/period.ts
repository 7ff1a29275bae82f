/** Periods of record time, aligned in the local zone (days start at local midnight). */
let offsetHour = NaN;
let offsetMs = 0;

/** The start of the period holding `t`, aligned in the local zone (days start at local midnight). */
export function periodStart(t: number, span: number): number {
  // The zone offset changes at most on the hour: look it up once per hour of record time.
  const hour = Math.floor(t / 3_600_000);
  if (hour !== offsetHour) {
    offsetHour = hour;
    offsetMs = -new Date(t).getTimezoneOffset() * 60_000;
  }
  return Math.floor((t + offsetMs) / span) * span - offsetMs;
}
