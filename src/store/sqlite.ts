/** The embedded store: better-sqlite3, WAL, multi-row inserts inside one transaction per batch. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RECORD_INDEXES, STORED_COLUMNS, schemaStatements } from './schema.js';
import { bookkeeping, type Store, type StoreBatch } from './types.js';

const WIDTH = STORED_COLUMNS.length;

function checkPlace(path: string, o: { makeDir: boolean; readOnly: boolean }): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw new Error(`--db ${path}: not a regular file`);
  if (!st && o.readOnly) throw new Error(`--db ${path}: no such database (smbta-db load makes one)`);
  const dir = dirname(path);
  if (o.makeDir) mkdirSync(dir, { recursive: true });
  else if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`--db ${path}: no such directory ${dir} (make it first; only the default place is made for you)`);
}
/** Rows per INSERT statement: fewer statement runs, well under SQLite's parameter limit. */
const ROWS_PER_INSERT = 64;

/**
 * Opens the database file at `path`. Its directory is made only when asked (the default
 * place); a path that is not a regular file is refused (SQLite would add -wal and -shm files
 * beside a device); a reader opens it read-only, so another user can query a database it
 * may only read.
 */
export function openSqlite(path: string, o: { makeDir: boolean; readOnly: boolean }): Store {
  if (path !== ':memory:') checkPlace(path, o);
  const db = new Database(path, { readonly: o.readOnly, fileMustExist: o.readOnly });
  if (!o.readOnly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('busy_timeout = 10000');
  const insertSql = (rows: number): string =>
    `INSERT INTO smbta_records (${STORED_COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => `(${new Array(WIDTH).fill('?').join(', ')})`).join(', ')}`;
  let statements: { many: Database.Statement; one: Database.Statement; seen: Database.Statement } | undefined;
  const prepared = () =>
    (statements ??= {
      many: db.prepare(insertSql(ROWS_PER_INSERT)),
      one: db.prepare(insertSql(1)),
      seen: db.prepare('SELECT 1 FROM smbta_loads WHERE batch = ?'),
    });
  const insert = db.transaction((b: StoreBatch) => {
    const s = prepared();
    if (s.seen.get(b.id)) return;
    const v = b.rows.values;
    let k = 0;
    for (; k + ROWS_PER_INSERT <= b.rows.n; k += ROWS_PER_INSERT) s.many.run(v.slice(k * WIDTH, (k + ROWS_PER_INSERT) * WIDTH));
    for (; k < b.rows.n; k++) s.one.run(v.slice(k * WIDTH, (k + 1) * WIDTH));
    for (const [sql, params] of bookkeeping(b, Date.now())) db.prepare(sql).run(...params);
  });

  return {
    dialect: 'sqlite',
    location: path,
    async init() {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.transaction(() => {
        for (const sql of schemaStatements('sqlite')) db.exec(sql);
        db.prepare("INSERT OR IGNORE INTO smbta_meta (key, value) VALUES ('schema_version', '1')").run();
      })();
    },
    async all(sql, params = []) {
      return db.prepare(sql).all(...params) as Record<string, unknown>[];
    },
    async readOnly(sql) {
      const stmt = db.prepare(sql);
      if (!stmt.readonly || !stmt.reader) throw new Error('only statements that read (SELECT) may be typed here');
      return { columns: stmt.columns().map((c) => c.name), rows: stmt.raw().all() as unknown[][] };
    },
    async insert(batch) {
      insert(batch);
    },
    async suspendIndexes() {
      for (const name of RECORD_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
      // A bulk load can be run again, so it needs no write-ahead log and no waiting for the disk; init() restores both.
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = OFF');
    },
    async expire(before) {
      // In slices, so a large expiry never holds the write lock for long.
      const del = db.prepare('DELETE FROM smbta_records WHERE id IN (SELECT id FROM smbta_records WHERE time < ? LIMIT 50000)');
      let total = 0;
      for (let n = -1; n !== 0; total += n) n = del.run(before).changes;
      return total;
    },
    async setMeta(key, value) {
      db.prepare('INSERT INTO smbta_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
    },
    async version() {
      return `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}`;
    },
    async reconnect() {},
    async close() {
      // Out of WAL when the writer leaves: a reader that may not write beside the file (another
      // user) cannot make the -shm file WAL needs. (Busy with readers: it stays WAL, and they can.)
      if (!o.readOnly && path !== ':memory:') {
        try {
          db.pragma('journal_mode = DELETE');
        } catch {
          // another connection has it open; the last writer to close will switch
        }
      }
      db.close();
    },
  };
}
