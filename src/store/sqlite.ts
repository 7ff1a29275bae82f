/** The embedded store: better-sqlite3, WAL, multi-row inserts inside one transaction per batch. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RECORD_INDEXES, STORED_COLUMNS, schemaStatements } from './schema.js';
import { EXPIRED_META, metaMap, rollupCatchUp, rollupStatements, ROLLUPS_META, ROLLUPS_META_SQL, rollupUpserts } from './rollups.js';
import { claim, runsOf } from './claim.js';
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
 * Returns the pages expire freed to the file system, so the file shrinks with the data. A
 * file made before auto_vacuum was set is converted once (VACUUM, which rewrites it) when at
 * least a quarter of it is free; from then on incremental_vacuum returns pages in slices.
 */
function giveBackSpace(db: Database.Database): void {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (free === 0) return;
  if ((db.pragma('auto_vacuum', { simple: true }) as number) !== 2) {
    if (free * 4 < (db.pragma('page_count', { simple: true }) as number)) return;
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    return;
  }
  // In slices, like the deletes: a reader or the loader waits for one slice at most.
  for (let left = free, was = Infinity; left > 0 && left < was; was = left, left = db.pragma('freelist_count', { simple: true }) as number) {
    db.pragma('incremental_vacuum(4096)');
  }
}

/**
 * Opens the database file at `path`. Its directory is made only when asked (the default
 * place); a path that is not a regular file is refused (SQLite would add -wal and -shm files
 * beside a device); a reader opens it read-only, so another user can query a database it
 * may only read.
 */
export function openSqlite(path: string, o: { makeDir: boolean; readOnly: boolean }): Store {
  if (path !== ':memory:') checkPlace(path, o);
  const db = new Database(path, { readonly: o.readOnly, fileMustExist: o.readOnly });
  db.pragma('busy_timeout = 10000');
  if (!o.readOnly) {
    // (Kept as it is while another process bulk-loads the file.)
    switchJournal(db, 'WAL');
    db.pragma('synchronous = NORMAL');
  }
  const insertSql = (rows: number): string =>
    `INSERT INTO smbta_records (${STORED_COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => `(${new Array(WIDTH).fill('?').join(', ')})`).join(', ')}`;
  let statements: { many: Database.Statement; one: Database.Statement; seen: Database.Statement } | undefined;
  const prepared = () =>
    (statements ??= {
      many: db.prepare(insertSql(ROWS_PER_INSERT)),
      one: db.prepare(insertSql(1)),
      seen: db.prepare('SELECT 1 FROM smbta_loads WHERE batch = ?'),
    });
  /** During a bulk load the batches' minutes are set aside, and init() at its end adds them into the rollups in one pass. */
  let bulk = false;
  // The bookkeeping's statements are a few fixed texts: each prepared once.
  const kept = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => kept.get(sql) ?? kept.set(sql, db.prepare(sql)).get(sql)!;
  const insert = db.transaction((b: StoreBatch): number => {
    const s = prepared();
    if (s.seen.get(b.id)) return 0;
    const runs = runsOf(b.rows);
    const stored = runs.length ? statement(`SELECT run, first, next FROM smbta_covered WHERE run IN (${runs.map(() => '?').join(', ')})`).all(...runs) : [];
    const c = claim(b.rows, stored as Record<string, unknown>[]);
    const v = c.rows.values;
    let k = 0;
    for (; k + ROWS_PER_INSERT <= c.rows.n; k += ROWS_PER_INSERT) s.many.run(v.slice(k * WIDTH, (k + ROWS_PER_INSERT) * WIDTH));
    for (; k < c.rows.n; k++) s.one.run(v.slice(k * WIDTH, (k + 1) * WIDTH));
    for (const [sql, params] of bookkeeping({ ...b, rows: c.rows }, c.covered, Date.now(), (rows) => rollupUpserts(rows, bulk))) statement(sql).run(...params);
    return c.skipped;
  });

  return {
    dialect: 'sqlite',
    location: path,
    async init() {
      // Before the first table: a new file gives back what expire frees (an existing one is converted then).
      db.pragma('auto_vacuum = INCREMENTAL');
      // (Refused while another process bulk-loads the file: it left the write-ahead log for the load.)
      switchJournal(db, 'WAL');
      db.pragma('synchronous = NORMAL');
      db.transaction(() => {
        for (const sql of [...schemaStatements('sqlite'), ...rollupStatements('sqlite')]) db.exec(sql);
        db.prepare("INSERT OR IGNORE INTO smbta_meta (key, value) VALUES ('schema_version', '1')").run();
        // Records loaded before there were rollups (summed into them), or a bulk load's minutes
        // (added in; but not another live process's, still setting its minutes aside: it adds them in when done).
        const meta = metaMap(db.prepare(ROLLUPS_META_SQL).all() as Record<string, unknown>[]);
        if (bulkLoadRunning(meta.get(ROLLUPS_META))) return;
        for (const sql of rollupCatchUp(meta)) db.exec(sql);
      }).immediate();
      bulk = false;
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
      // The write lock first: what is stored is read and added to by one loader at a time.
      return insert.immediate(batch);
    },
    async suspendIndexes() {
      // The rollups first: until init() adds the load's minutes in, answers read the records.
      // One bulk load at a time: another running one leaves this load going row by row beside it.
      const mark = (value: string): void => void db.prepare('INSERT OR REPLACE INTO smbta_meta (key, value) VALUES (?, ?)').run(ROLLUPS_META, value);
      const first = db.transaction(() => {
        const state = db.prepare('SELECT value FROM smbta_meta WHERE key = ?').get(ROLLUPS_META) as { value: string } | undefined;
        return bulkLoadRunning(state?.value) ? false : (mark(`pending ${process.pid}`), true);
      });
      if (!first.immediate()) return;
      // A bulk load can be run again, so it needs no write-ahead log and no waiting for the disk; init() restores both.
      // Another process using the file keeps it from leaving the log: then this load goes row by row too.
      if (!switchJournal(db, 'DELETE')) return mark('yes');
      db.pragma('synchronous = OFF');
      for (const name of RECORD_INDEXES) db.exec(`DROP INDEX IF EXISTS ${name}`);
      bulk = true;
    },
    async expire(before, rollups = []) {
      // In slices, so a large expiry never holds the write lock for long.
      const del = db.prepare('DELETE FROM smbta_records WHERE id IN (SELECT id FROM smbta_records WHERE time < ? LIMIT 50000)');
      let total = 0;
      for (let n = -1; n !== 0; total += n) n = del.run(before).changes;
      const note = db.prepare('INSERT INTO smbta_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      note.run(`${EXPIRED_META}smbta_records`, String(before));
      for (const [table, at] of rollups) {
        db.transaction(() => {
          db.prepare(`DELETE FROM ${table} WHERE time < ?`).run(at);
          note.run(`${EXPIRED_META}${table}`, String(at));
        })();
      }
      if (total > 0) giveBackSpace(db);
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

/** Sets the journal mode; false when another process holding the file open keeps it from changing. */
function switchJournal(db: Database.Database, mode: 'WAL' | 'DELETE'): boolean {
  try {
    return String(db.pragma(`journal_mode = ${mode}`, { simple: true })).toUpperCase() === mode;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw err;
  }
}

/** Whether the rollups' state names another process, still running here, bulk-loading the file ('pending PID'). */
function bulkLoadRunning(state: string | undefined): boolean {
  const pid = Number(/^pending (\d+)$/.exec(state ?? '')?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
