/**
 * PostgreSQL's smbta_records partitioned by day (UTC): one partition per day of record time,
 * named smbta_records_dYYYYMMDD, made before the first row of that day is loaded (and the
 * next day's with it, so midnight never waits), and a default partition for what no day
 * partition takes (times before 2000 or far in the future, days that could not be made).
 * Expiry drops whole days instead of deleting rows.
 */
export const DAY_MS = 86_400_000;
export const DEFAULT_PARTITION = 'smbta_records_other';
/** Days before this get no partition of their own: a clock at 0 is not a reason for 10,000 tables. */
const FIRST_DAY = Date.UTC(2000, 0, 1);
/** Days further ahead than this neither: a sender's clock years ahead. */
const AHEAD_MS = 7 * DAY_MS;
/** The most day partitions one batch may make; the rest of its days go to the default partition. */
export const MAX_NEW_PER_BATCH = 32;

export const dayOf = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

export function partitionName(day: number): string {
  return `smbta_records_d${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The day a partition's name says, or undefined for another table. */
export function dayOfPartition(name: string): number | undefined {
  const m = /^smbta_records_d(\d{4})(\d{2})(\d{2})$/.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
}

export function createDaySql(day: number): string {
  return `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF smbta_records FOR VALUES FROM (${day}) TO (${day + DAY_MS})`;
}

/**
 * The days a batch's record times fall on that should have a partition, busiest first, and
 * the day after the newest: at most MAX_NEW_PER_BATCH of those not in `known`.
 */
export function daysToMake(times: Iterable<number>, known: ReadonlySet<number>, now: number): number[] {
  const rows = new Map<number, number>();
  let newest = -Infinity;
  for (const t of times) {
    const d = dayOf(t);
    if (d < FIRST_DAY || d > now + AHEAD_MS) continue;
    rows.set(d, (rows.get(d) ?? 0) + 1);
    newest = Math.max(newest, d);
  }
  if (newest > -Infinity && newest + DAY_MS <= now + AHEAD_MS) rows.set(newest + DAY_MS, rows.get(newest + DAY_MS) ?? 0);
  return [...rows]
    .filter(([d]) => !known.has(d))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, MAX_NEW_PER_BATCH)
    .map(([d]) => d);
}
