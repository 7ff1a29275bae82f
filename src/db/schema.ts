/**
 * The SQL store's schema, the same tables in SQLite and PostgreSQL (docs/database.md):
 * one row per record, indexed by time, user and share; a key-value table of settings; the
 * senders seen with their protocol; and the batches loaded, so a retried batch is never
 * stored twice.
 */
export type Dialect = 'sqlite' | 'postgres';

export const SCHEMA_VERSION = '1';

/** Record fields and their columns, in load order (`user` and `end` are reserved words in SQL). */
export const RECORD_COLUMNS = [
  ['time', 'time'], ['end', 'end_time'], ['op', 'op'], ['user', 'user_name'], ['sid', 'sid'], ['domain', 'domain'], ['share', 'share'],
  ['path', 'path'], ['path2', 'path2'], ['client', 'client'], ['server', 'server'], ['bytes', 'bytes'], ['count', 'count'], ['mode', 'mode'],
  ['result', 'result'], ['latency', 'latency'], ['latency_max', 'latency_max'],
] as const;

export function schemaStatements(d: Dialect): string[] {
  const int = d === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const id = d === 'sqlite' ? 'id INTEGER PRIMARY KEY' : 'id BIGSERIAL PRIMARY KEY';
  const cols = RECORD_COLUMNS.map(([field, col]) => `${col} ${['user', 'sid', 'domain', 'share', 'path', 'path2', 'client', 'server'].includes(field) ? 'TEXT' : int} NOT NULL`);
  return [
    `CREATE TABLE IF NOT EXISTS smbta_records (${id}, ${cols.join(', ')})`,
    'CREATE INDEX IF NOT EXISTS smbta_records_time ON smbta_records (time)',
    'CREATE INDEX IF NOT EXISTS smbta_records_user ON smbta_records (user_name, time)',
    'CREATE INDEX IF NOT EXISTS smbta_records_share ON smbta_records (share, time)',
    'CREATE TABLE IF NOT EXISTS smbta_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    `CREATE TABLE IF NOT EXISTS smbta_senders (server TEXT PRIMARY KEY, protocol TEXT NOT NULL, last_seen ${int} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS smbta_loads (batch TEXT PRIMARY KEY, records ${int} NOT NULL, loaded_at ${int} NOT NULL)`,
  ];
}
