/**
 * The SQL store's schema, the same tables in SQLite and PostgreSQL (docs/database.md):
 * one row per record, indexed by time, user and share; a key-value table of settings; the
 * senders seen with their protocol; and the batches loaded, so a retried batch is never
 * stored twice. User and share are indexed by a 32-bit hash of the name (user_key,
 * share_key) rather than the text: integer index entries cost half as much to load, and
 * queries check the name itself too, so a hash collision only costs a row read.
 */
import { OPS } from '../record/fields.js';

export type Dialect = 'sqlite' | 'postgres';

export const SCHEMA_VERSION = '1';

/** Record fields and their columns, in load order (`user` and `end` are reserved words in SQL). */
export const RECORD_COLUMNS = [
  ['time', 'time'],
  ['end', 'end_time'],
  ['op', 'op'],
  ['user', 'user_name'],
  ['sid', 'sid'],
  ['domain', 'domain'],
  ['share', 'share'],
  ['path', 'path'],
  ['path2', 'path2'],
  ['client', 'client'],
  ['server', 'server'],
  ['bytes', 'bytes'],
  ['count', 'count'],
  ['mode', 'mode'],
  ['result', 'result'],
  ['latency', 'latency'],
  ['latency_max', 'latency_max'],
] as const;

/** Every stored column, in the order loaders hand values over: the record's, then the keys. */
export const STORED_COLUMNS = [...RECORD_COLUMNS.map(([, c]) => c), 'user_key', 'share_key'];

/** FNV-1a over the name's UTF-16 units, as a signed 32-bit integer (SQLite and PostgreSQL both hold it). */
export function nameKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

export const RECORD_INDEXES = ['smbta_records_time', 'smbta_records_user', 'smbta_records_share'];

export function schemaStatements(d: Dialect): string[] {
  const int = d === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const id = d === 'sqlite' ? 'id INTEGER PRIMARY KEY' : 'id BIGSERIAL';
  const cols = RECORD_COLUMNS.map(
    ([field, col]) => `${col} ${['user', 'sid', 'domain', 'share', 'path', 'path2', 'client', 'server'].includes(field) ? 'TEXT' : int} NOT NULL`,
  );
  // PostgreSQL's is partitioned by day of record time (partitions.ts), so expiry drops whole days.
  const records =
    d === 'sqlite'
      ? `CREATE TABLE IF NOT EXISTS smbta_records (${id}, ${cols.join(', ')}, user_key INTEGER NOT NULL, share_key INTEGER NOT NULL)`
      : `CREATE TABLE IF NOT EXISTS smbta_records (${id}, ${cols.join(', ')}, user_key INTEGER NOT NULL, share_key INTEGER NOT NULL, PRIMARY KEY (time, id)) PARTITION BY RANGE (time)`;
  return [
    records,
    // PostgreSQL's primary key (time, id) serves time ranges: an index of time alone would only cost every row loaded.
    ...(d === 'sqlite' ? ['CREATE INDEX IF NOT EXISTS smbta_records_time ON smbta_records (time)'] : []),
    'CREATE INDEX IF NOT EXISTS smbta_records_user ON smbta_records (user_key, time)',
    'CREATE INDEX IF NOT EXISTS smbta_records_share ON smbta_records (share_key, time)',
    'CREATE TABLE IF NOT EXISTS smbta_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    `CREATE TABLE IF NOT EXISTS smbta_senders (server TEXT PRIMARY KEY, protocol TEXT NOT NULL, last_seen ${int} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS smbta_loads (batch TEXT PRIMARY KEY, records ${int} NOT NULL, loaded_at ${int} NOT NULL)`,
    // Which record numbers of each writer's run are stored: loading an archive twice stores it once.
    `CREATE TABLE IF NOT EXISTS smbta_covered (run TEXT NOT NULL, first ${int} NOT NULL, next ${int} NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS smbta_covered_run ON smbta_covered (run)',
    // Records that never arrived, and when: answers mark the periods they fall in.
    `CREATE TABLE IF NOT EXISTS smbta_losses (time ${int} NOT NULL, end_time ${int} NOT NULL, source TEXT NOT NULL, records ${int} NOT NULL, reason TEXT NOT NULL, loss_id TEXT)`,
    // A loss told twice (a replayed gap block, an archive loaded again) is stored once.
    'CREATE UNIQUE INDEX IF NOT EXISTS smbta_losses_id ON smbta_losses (loss_id)',
    `CREATE TABLE IF NOT EXISTS smbta_status (source TEXT PRIMARY KEY, blocks ${int} NOT NULL, last_seen ${int} NOT NULL)`,
    // Alerts smbta-alert put in the stream (the --json object as body), once each (alert_id: a hash of the body).
    `CREATE TABLE IF NOT EXISTS smbta_alerts (time ${int} NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, body TEXT NOT NULL, alert_id TEXT NOT NULL)`,
    'CREATE UNIQUE INDEX IF NOT EXISTS smbta_alerts_id ON smbta_alerts (alert_id)',
    'CREATE INDEX IF NOT EXISTS smbta_alerts_time ON smbta_alerts (time)',
    opsView(d),
  ];
}

/** smbta_ops: the records for people writing their own SQL, with times as timestamps and operations by name. */
function opsView(d: Dialect): string {
  const at = (col: string): string => (d === 'sqlite' ? `strftime('%Y-%m-%dT%H:%M:%fZ', ${col} / 1000.0, 'unixepoch')` : `to_timestamp(${col} / 1000.0)`);
  const op = `CASE op ${OPS.map((name, k) => `WHEN ${k} THEN '${name}'`).join(' ')} ELSE 'op' || op END`;
  const rest = RECORD_COLUMNS.filter(([f]) => !['time', 'end', 'op'].includes(f)).map(([f, c]) => (f === c ? c : `${c} AS "${f}"`));
  const body = `SELECT id, ${at('time')} AS time, ${at('end_time')} AS "end", ${op} AS op, ${rest.join(', ')} FROM smbta_records`;
  return d === 'sqlite' ? `CREATE VIEW IF NOT EXISTS smbta_ops AS ${body}` : `CREATE OR REPLACE VIEW smbta_ops AS ${body}`;
}
