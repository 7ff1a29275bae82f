/**
 * The shared store: PostgreSQL through pg, records loaded with COPY inside one transaction
 * per batch together with the batch's note in smbta_loads, so a batch either is stored
 * whole and noted, or not at all, and a retry after a lost connection never doubles it.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pgLoaded } from './pg-probe.js'; // before pg
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDaySql, DAY_MS, dayOfPartition, daysToMake, DEFAULT_PARTITION, partitionName } from './partitions.js';
import {
  COLUMNS as SUM_COLUMNS,
  EXPIRED_META,
  grainSums,
  metaMap,
  rollupCatchUp,
  rollupsFromGrains,
  rollupStatements,
  ROLLUPS_META_SQL,
  sumColumnsSql,
  type Sum,
} from './rollups.js';
import { STORED_COLUMNS, schemaStatements } from './schema.js';
import { claim, runsOf } from './claim.js';
import { bookkeeping, type PendingRows, type Store } from './types.js';

pgLoaded();

const WIDTH = STORED_COLUMNS.length;

/** 64-bit integers and sums as numbers (pg's default is strings). */
const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 20 || oid === 1700 ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as (v: string) => unknown),
};

/** `?` placeholders as PostgreSQL's $1, $2... (our SQL has no other question marks). */
function numbered(sql: string): string {
  let k = 0;
  return sql.replace(/\?/g, () => `$${++k}`);
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
const SPECIAL = /[\\\t\n\r]/;
function copyText(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** COPY's text of rows of `width` values each, given flat, in chunks of about 64 KiB. */
function* copyChunks(values: readonly (string | number)[], width: number): Generator<string> {
  let chunk = '';
  for (let o = 0; o < values.length; o += width) {
    for (let k = 0; k < width; k++) chunk += (k ? '\t' : '') + copyText(values[o + k]!);
    chunk += '\n';
    if (chunk.length > 1 << 16) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** A batch's sums of every grain on their way into the rollups: a temporary table per connection, emptied by each commit. */
const BATCH_SUMS = 'smbta_batch_sums';

/** Each row's record time (the first stored column). */
function* timesOf(rows: PendingRows): Generator<number> {
  for (let r = 0; r < rows.n; r++) yield rows.values[r * WIDTH] as number;
}

export async function openPostgres(url: string): Promise<Store> {
  let client = await connect(url);
  const location = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  const query = async (sql: string, params: readonly unknown[] = []) =>
    (await client.query(numbered(sql), params as unknown[])).rows as Record<string, unknown>[];
  const setMeta = async (key: string, value: string): Promise<void> =>
    void (await client.query('INSERT INTO smbta_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [key, value]));
  const inTransaction = async <T>(work: () => Promise<T>, mode = ''): Promise<T> => {
    await client.query(`BEGIN${mode}`);
    try {
      const out = await work();
      await client.query(mode ? 'ROLLBACK' : 'COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  /** Day partitions that exist (or could not be made: their rows go to the default one); undefined: not partitioned. */
  let days: Set<number> | undefined;
  const partitionDays = async (): Promise<Set<number> | undefined> => {
    const r = await client.query<{ relkind: string }>("SELECT relkind FROM pg_class WHERE oid = to_regclass('smbta_records')");
    if (r.rows[0]?.relkind !== 'p') return undefined;
    const parts = await client.query<{ name: string }>("SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'smbta_records'::regclass");
    return new Set(parts.rows.map((p) => dayOfPartition(p.name)).filter((d): d is number => d !== undefined));
  };
  /** Makes the day partitions these times need, one maker at a time across loaders; a day that cannot be made stays in the default partition. */
  const makeDays = async (times: Iterable<number>): Promise<void> => {
    if (!days) return;
    const wanted = daysToMake(times, days, Date.now());
    if (!wanted.length) return;
    await client.query('SELECT pg_advisory_lock(4242002)');
    try {
      for (const d of wanted) {
        // Rows of that day already in the default partition make it fail: they stay there, expired row by row.
        await client.query(createDaySql(d)).catch(() => undefined);
        days.add(d);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(4242002)');
    }
  };
  const copy = async (table: string, columns: readonly string[], values: readonly (string | number)[]): Promise<void> => {
    const to = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(values, columns.length)), to);
  };
  /** Copies each grain's sums into this connection's BATCH_SUMS, then into the rollups (in key order: see rollupsFromGrains): one COPY instead of parameters to parse. */
  let hasSumsTable: pg.Client | undefined;
  const addToRollups = async (grains: Sum[][]): Promise<void> => {
    if (hasSumsTable !== client)
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${BATCH_SUMS} (${sumColumnsSql('postgres')}, grain INTEGER NOT NULL) ON COMMIT DELETE ROWS`);
    hasSumsTable = client;
    const values: (string | number)[] = [];
    for (const [k, sums] of grains.entries())
      for (const s of sums) {
        for (const x of s) values.push(x);
        values.push(k);
      }
    await copy(BATCH_SUMS, [...SUM_COLUMNS, 'grain'], values);
    for (const sql of rollupsFromGrains(BATCH_SUMS)) await client.query(sql);
  };
  return {
    dialect: 'postgres',
    location,
    async init() {
      // One creator at a time when many loaders start together.
      await inTransaction(async () => {
        await client.query('SELECT pg_advisory_xact_lock(4242001)');
        for (const sql of [...schemaStatements('postgres'), ...rollupStatements('postgres')]) await client.query(sql);
        await client.query("INSERT INTO smbta_meta (key, value) VALUES ('schema_version', '1') ON CONFLICT DO NOTHING");
        // Records loaded before there were rollups: summed into them once.
        for (const sql of rollupCatchUp(metaMap((await client.query(ROLLUPS_META_SQL)).rows))) await client.query(sql);
        // A store made before partitioning keeps its one table (and row-by-row expiry). Under
        // the creators' lock: IF NOT EXISTS does not stop two loaders making it at once.
        days = await partitionDays();
        if (days) await client.query(`CREATE TABLE IF NOT EXISTS ${DEFAULT_PARTITION} PARTITION OF smbta_records DEFAULT`);
      });
      await makeDays([Date.now()]);
    },
    all: query,
    async readOnly(sql) {
      return inTransaction(async () => {
        // The extended protocol runs exactly one statement: `SELECT 1; COMMIT; DELETE ...` is
        // refused whole, so nothing can end the read-only transaction it runs in.
        const single: pg.QueryArrayConfig & { queryMode: 'extended' } = { text: sql, rowMode: 'array', queryMode: 'extended' };
        const r = await client.query(single);
        return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
      }, ' READ ONLY');
    },
    async insert(b) {
      await makeDays(timesOf(b.rows));
      return inTransaction(async () => {
        if ((await client.query('SELECT 1 FROM smbta_loads WHERE batch = $1', [b.id])).rowCount) return 0;
        // Each run's ranges are read and written by one loader at a time (runs in order: no deadlock).
        const runs = runsOf(b.rows);
        for (const run of runs) await client.query('SELECT pg_advisory_xact_lock(4242003, hashtext($1))', [run]);
        const stored = runs.length ? (await client.query('SELECT run, first, next FROM smbta_covered WHERE run = ANY($1)', [runs])).rows : [];
        const c = claim(b.rows, stored);
        if (c.rows.n) {
          await copy('smbta_records', STORED_COLUMNS, c.rows.values);
          await addToRollups(grainSums(c.rows, false));
        }
        for (const [sql, params] of bookkeeping({ ...b, rows: c.rows }, c.covered, Date.now())) await query(sql, params);
        return c.skipped;
      });
    },
    async suspendIndexes() {},
    async expire(before, rollups = []) {
      let total = 0;
      // Whole days first: a partition wholly before the cutoff is dropped, not deleted from.
      for (const d of [...((days = await partitionDays()) ?? [])].sort((a, b) => a - b)) {
        if (d + DAY_MS > before) continue;
        const name = partitionName(d);
        await inTransaction(async () => {
          total += Number((await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${name}`)).rows[0]?.n ?? 0);
          await client.query(`DROP TABLE ${name}`);
        });
        days!.delete(d);
      }
      for (let n = -1; n !== 0; total += n) {
        n = (await client.query('DELETE FROM smbta_records WHERE id IN (SELECT id FROM smbta_records WHERE time < $1 LIMIT 50000)', [before])).rowCount ?? 0;
      }
      await setMeta(`${EXPIRED_META}smbta_records`, String(before));
      for (const [table, at] of rollups) {
        await inTransaction(async () => {
          await client.query(`DELETE FROM ${table} WHERE time < $1`, [at]);
          await setMeta(`${EXPIRED_META}${table}`, String(at));
        });
      }
      return total;
    },
    setMeta,
    async version() {
      return `PostgreSQL ${(await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?'}`;
    },
    async reconnect() {
      await client.end().catch(() => undefined);
      client = await connect(url);
    },
    async close() {
      await client.end();
    },
  };
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: TYPES });
  // A broken connection is found by the next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  // Compiling a plan to machine code costs ~0.1 s a query and never paid off in smbta's sums (bench: a fleet's quarter, 10M records).
  await client.query('SET jit = off');
  return client;
}
