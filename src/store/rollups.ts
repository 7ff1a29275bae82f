/**
 * Rollups: the records summed per minute, hour, day and week of record time (UTC) by server,
 * domain, user, share and operation, kept by the loader in the same transaction as the
 * records, so they always sum exactly what smbta_records holds (until either is expired).
 * A question about days over a fleet reads a few thousand rollup rows instead of millions
 * of records (the query side: src/query/rollup-plan.ts).
 */
import { parseDuration } from '../format/units.js';
import type { Dialect } from './schema.js';
import { STORED_COLUMNS } from './schema.js';

/** Rows as loaders hand them over: `n` rows of STORED_COLUMNS values, flat (types.ts's PendingRows). */
interface Rows {
  n: number;
  values: readonly (string | number)[];
}

export interface Rollup {
  /** What retention options and -v call it. */
  readonly grain: '1m' | '1h' | '1d' | '1w';
  readonly table: string;
  readonly ms: number;
}

/** Finest first. */
export const ROLLUPS: readonly Rollup[] = [
  { grain: '1m', table: 'smbta_rollup_1m', ms: 60_000 },
  { grain: '1h', table: 'smbta_rollup_1h', ms: 3_600_000 },
  { grain: '1d', table: 'smbta_rollup_1d', ms: 86_400_000 },
  // Weeks from Thursday 00:00 UTC (the epoch's weekday): a quarter is 13 rows a key instead of 90.
  { grain: '1w', table: 'smbta_rollup_1w', ms: 7 * 86_400_000 },
];

/** How long each rollup is kept by default (ms; undefined: for ever), whatever --older-than keeps of the records. */
export const DEFAULT_KEEP: Readonly<Record<Rollup['grain'], number | undefined>> = {
  '1m': 35 * 86_400_000,
  '1h': 400 * 86_400_000,
  '1d': undefined,
  '1w': undefined,
};

/** `1m=30d,1h=400d,1d=forever,1w=forever` over the defaults; a string saying what is wrong otherwise. */
export function parseRollupKeep(text: string): Record<Rollup['grain'], number | undefined> | string {
  const keep = { ...DEFAULT_KEEP };
  for (const part of text.split(',').filter(Boolean)) {
    const [grain, age] = part.split('=').map((x) => x.trim());
    if (!ROLLUPS.some((r) => r.grain === grain)) return `'${grain}' is not a rollup (${ROLLUPS.map((r) => r.grain).join(', ')})`;
    const ms = age === 'forever' ? undefined : parseDuration(age ?? '');
    if (ms === undefined && age !== 'forever') return `'${age ?? ''}' is not an age (30d, 52w) or forever`;
    keep[grain as Rollup['grain']] = ms;
  }
  return keep;
}

/** Each kept-not-for-ever rollup table and the time before which its rows go. */
export function rollupCutoffs(keep: Readonly<Record<Rollup['grain'], number | undefined>>, now: number): [string, number][] {
  return ROLLUPS.filter((r) => keep[r.grain] !== undefined).map((r) => [r.table, now - keep[r.grain]!]);
}

/** smbta_meta's key, per table, of the time before which expiry removed that table's rows: answers do not use it there. */
export const EXPIRED_META = 'expired_before ';

/**
 * smbta_meta's key saying whether the rollups sum every record: `yes`; `pending` while a bulk
 * load sets its minutes aside (PENDING_TABLE), until init() adds them in; absent in a store
 * made before rollups, until init() fills them from the records.
 */
export const ROLLUPS_META = 'rollups';
export const PENDING_TABLE = 'smbta_rollup_pending';

/**
 * Rollups added after the first three (1w): each has a key of its own, `rollups 1w`, `yes` once
 * it sums every record too, so a store an older smbta made (and may still load: it keeps only
 * the first three, and refills them all when ROLLUPS_META holds anything but `yes`) gets it
 * filled from the rollup below at the next init(), and answers read it only from then on.
 */
const ADDED = ROLLUPS.slice(3);
const grainMeta = (r: Rollup): string => `${ROLLUPS_META} ${r.grain}`;

/** The rows of smbta_meta about the rollups' state (ROLLUPS_META, grainMeta, EXPIRED_META). */
export const ROLLUPS_META_SQL = `SELECT key, value FROM smbta_meta WHERE key = '${ROLLUPS_META}' OR key LIKE '${ROLLUPS_META} %' OR key LIKE '${EXPIRED_META}%'`;

/** Rows of key and value as a map. */
export const metaMap = (rows: readonly Record<string, unknown>[]): Map<string, string> => new Map(rows.map((r) => [String(r.key), String(r.value)]));

/** The rollups answers may read, given smbta_meta: none until they sum every record. */
export function completeRollups(meta: ReadonlyMap<string, string>): Rollup[] {
  if (meta.get(ROLLUPS_META) !== 'yes') return [];
  return ROLLUPS.filter((r) => !ADDED.includes(r) || meta.get(grainMeta(r)) === 'yes');
}

/** What init() runs, given smbta_meta, to leave every rollup summing every record and smbta_meta saying so. */
export function rollupCatchUp(meta: ReadonlyMap<string, string>): string[] {
  const state = meta.get(ROLLUPS_META);
  const out = state === 'yes' ? [] : String(state).startsWith('pending') ? rollupMerge() : rollupBackfill();
  for (const r of ADDED) if (meta.get(grainMeta(r)) !== 'yes') out.push(...fillFromFiner(r), setMetaSql(grainMeta(r), 'yes'));
  return [...out, setMetaSql(ROLLUPS_META, 'yes')];
}

const setMetaSql = (key: string, value: string): string =>
  `INSERT INTO smbta_meta (key, value) VALUES ('${key}', '${value}') ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

/** Refills a rollup from the one below it, which it answers for from where that one was expired. */
function fillFromFiner(r: Rollup): string[] {
  const finer = ROLLUPS[ROLLUPS.indexOf(r) - 1]!;
  const group = groupSql(r.ms);
  return [
    `DELETE FROM ${r.table}`,
    `INSERT INTO ${r.table} (${COLUMNS.join(', ')}) SELECT ${group}, MIN(user_key), MIN(share_key), ${SUMS.map((c) => `SUM(${c})`).join(', ')} ` +
      `FROM ${finer.table} GROUP BY ${group}`,
    `DELETE FROM smbta_meta WHERE key = '${EXPIRED_META}${r.table}'`,
    `INSERT INTO smbta_meta (key, value) SELECT '${EXPIRED_META}${r.table}', value FROM smbta_meta WHERE key = '${EXPIRED_META}${finer.table}'`,
  ];
}

const KEY = ['time', 'server', 'domain', 'user_name', 'share', 'op'] as const;
/** A rollup's columns: its key, the names' keys, the sums. */
export const COLUMNS = [...KEY, 'user_key', 'share_key', 'bytes', 'count', 'records', 'failures', 'latency'] as const;
const SUMS = ['bytes', 'count', 'records', 'failures', 'latency'] as const;
const WIDTH = STORED_COLUMNS.length;
const at = (name: string): number => STORED_COLUMNS.indexOf(name);
const [TIME, SERVER, DOMAIN, USER, SHARE, OP, USER_KEY, SHARE_KEY, BYTES, COUNT, RESULT, LATENCY] = [
  at('time'),
  at('server'),
  at('domain'),
  at('user_name'),
  at('share'),
  at('op'),
  at('user_key'),
  at('share_key'),
  at('bytes'),
  at('count'),
  at('result'),
  at('latency'),
];
/** Rows per INSERT (13 values each); the rest go one by one, so a store can keep the two statements prepared. */
const ROWS_PER_UPSERT = 256;

/** Bucket start of `time` for a grain, also before 1970 (SQL's % keeps the sign of time). */
const bucketSql = (ms: number): string => `(time - ((time % ${ms}) + ${ms}) % ${ms})`;
/** A rollup's key at a grain: what sums are grouped by. */
const groupSql = (ms: number): string => `${bucketSql(ms)}, ${KEY.slice(1).join(', ')}`;

/** A rollup's columns (COLUMNS) with their types: also those of tables of sums on their way in. */
export function sumColumnsSql(d: Dialect): string {
  const int = d === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return (
    `time ${int} NOT NULL, server TEXT NOT NULL, domain TEXT NOT NULL, user_name TEXT NOT NULL, share TEXT NOT NULL, ` +
    `op ${int} NOT NULL, user_key INTEGER NOT NULL, share_key INTEGER NOT NULL, ${SUMS.map((c) => `${c} ${int} NOT NULL`).join(', ')}`
  );
}

export function rollupStatements(d: Dialect): string[] {
  // The key leads with time: every piece an answer reads is a time range. No other index: each
  // one costs every upsert, and a rollup's rows for a span are few enough to read whole.
  const columns = sumColumnsSql(d);
  return [
    ...ROLLUPS.map(
      ({ table }) =>
        `CREATE TABLE IF NOT EXISTS ${table} (${columns}, PRIMARY KEY (${KEY.join(', ')}))${d === 'sqlite' ? ' WITHOUT ROWID' : ' WITH (fillfactor = 70)'}`,
    ),
    `CREATE TABLE IF NOT EXISTS ${PENDING_TABLE} (${columns})`,
  ];
}

/**
 * Fills every rollup from the records, for a store whose records predate its rollups or were
 * bulk-loaded without them: the minutes from the records in one pass, each coarser rollup
 * from the one below it.
 */
export function rollupBackfill(): string[] {
  const { table, ms } = ROLLUPS[0]!;
  const group = groupSql(ms);
  const sums = 'SUM(bytes), SUM(count), COUNT(*), SUM(CASE WHEN result < 0 THEN 1 ELSE 0 END), SUM(latency)';
  return [
    `DELETE FROM ${table}`,
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) SELECT ${group}, MIN(user_key), MIN(share_key), ${sums} FROM smbta_records GROUP BY ${group}`,
    ...ROLLUPS.slice(1).flatMap(fillFromFiner),
  ];
}

/** A sum row in COLUMNS order: the key (time first), user_key, share_key, then SUMS. */
export type Sum = [number, string, string, string, string, number, number, number, number, number, number, number, number];

/** Adds `s`, re-bucketed to `ms`, into `sums`. */
function addSum(sums: Map<string, Sum>, s: Sum, ms: number): void {
  const bucket = s[0] - (((s[0] % ms) + ms) % ms);
  const key = `${bucket}\0${s[1]}\0${s[2]}\0${s[3]}\0${s[4]}\0${s[5]}`;
  const t = sums.get(key);
  if (!t) return void sums.set(key, [bucket, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12]]);
  for (let k = 8; k < 13; k++) t[k] = (t[k] as number) + (s[k] as number);
}

/** A batch's rows summed per minute, keyed by COLUMNS' key joined with NULs. */
export function minuteSums(rows: Rows): Map<string, Sum> {
  const v = rows.values;
  const sums = new Map<string, Sum>();
  const ms = ROLLUPS[0]!.ms;
  // Every record passes here: a record only makes an array when it starts a new minute's sum.
  for (let r = 0, o = 0; r < rows.n; r++, o += WIDTH) {
    const t = v[o + TIME] as number;
    const bucket = t - (((t % ms) + ms) % ms);
    const key = `${bucket}\0${v[o + SERVER]}\0${v[o + DOMAIN]}\0${v[o + USER]}\0${v[o + SHARE]}\0${v[o + OP]}`;
    let sum = sums.get(key);
    if (!sum) {
      const [server, domain, user, share] = [v[o + SERVER] as string, v[o + DOMAIN] as string, v[o + USER] as string, v[o + SHARE] as string];
      sums.set(key, (sum = [bucket, server, domain, user, share, v[o + OP] as number, v[o + USER_KEY] as number, v[o + SHARE_KEY] as number, 0, 0, 0, 0, 0]));
    }
    sum[8] += v[o + BYTES] as number;
    sum[9] += v[o + COUNT] as number;
    sum[10]++;
    if ((v[o + RESULT] as number) < 0) sum[11]++;
    sum[12] += v[o + LATENCY] as number;
  }
  return sums;
}

/** A batch's sums for each of ROLLUPS (finest first): per minute from the rows, coarser from the minutes; each in key order when `sorted`. */
export function grainSums(rows: Rows, sorted = true): Sum[][] {
  let sums = minuteSums(rows);
  return ROLLUPS.map(({ ms }, k) => {
    if (k > 0) {
      const finer = sums;
      sums = new Map();
      for (const s of finer.values()) addSum(sums, s, ms);
    }
    return sorted ? [...sums.keys()].sort().map((key) => sums.get(key)!) : [...sums.values()];
  });
}

/**
 * SQLite's upserts adding a batch's rows to every rollup, each grain's in key order, so
 * loaders adding to the same rows at once lock them in one order (no deadlock). `pending`: a
 * bulk load's, whose minutes are only set aside (rollupMerge adds them in at its end).
 */
export function rollupUpserts(rows: Rows, pending = false): [string, unknown[]][] {
  if (pending) return inserts(PENDING_TABLE, [...minuteSums(rows).values()], '');
  return grainSums(rows).flatMap((sums, k) => inserts(ROLLUPS[k]!.table, sums, addOnConflict(ROLLUPS[k]!.table)));
}

/** `ON CONFLICT ... DO UPDATE`: a row already there gets the new sums added. */
const addOnConflict = (table: string): string =>
  `ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET ${SUMS.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;

/** Statements inserting `rows` into `table`, then `conflict`, in chunks of fixed size (so SQLite keeps two statements prepared). */
function inserts(table: string, rows: readonly Sum[], conflict: string): [string, unknown[]][] {
  const sql = (n: number): string =>
    `INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES ${Array.from({ length: n }, () => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')} ${conflict}`;
  const out: [string, unknown[]][] = [];
  let at = 0;
  for (; at + ROWS_PER_UPSERT <= rows.length; at += ROWS_PER_UPSERT) out.push([sql(ROWS_PER_UPSERT), rows.slice(at, at + ROWS_PER_UPSERT).flat()]);
  for (; at < rows.length; at++) out.push([sql(1), rows[at]!]);
  return out;
}

const KEY_ORDER = `ORDER BY ${KEY.map((_, k) => k + 1).join(', ')}`;

/**
 * Adds a batch's sums, copied into `from` with each row's grain (its index in ROLLUPS) in a
 * last column, into every rollup, in key order.
 */
export function rollupsFromGrains(from: string): string[] {
  return ROLLUPS.map(
    ({ table }, k) =>
      `INSERT INTO ${table} (${COLUMNS.join(', ')}) SELECT ${COLUMNS.join(', ')} FROM ${from} WHERE grain = ${k} ${KEY_ORDER} ${addOnConflict(table)}`,
  );
}

/** Adds the minutes a bulk load set aside into every rollup, each grain summed in SQL and upserted in key order, and empties them. */
export function rollupMerge(): string[] {
  const sums = SUMS.map((c) => `SUM(${c})`).join(', ');
  // `WHERE true`: SQLite reads ON CONFLICT after a bare SELECT ... GROUP BY as part of it.
  return [
    ...ROLLUPS.map(
      ({ table, ms }) =>
        `INSERT INTO ${table} (${COLUMNS.join(', ')}) SELECT ${groupSql(ms)}, MIN(user_key), MIN(share_key), ${sums} FROM ${PENDING_TABLE} WHERE true ` +
        `GROUP BY ${groupSql(ms)} ${KEY_ORDER} ${addOnConflict(table)}`,
    ),
    `DELETE FROM ${PENDING_TABLE}`,
  ];
}
