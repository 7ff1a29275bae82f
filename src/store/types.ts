/**
 * One interface over the two SQL stores, so the loader and the query executor are written
 * once: `?` placeholders everywhere (PostgreSQL's are numbered by its store), records
 * handed over as flat rows of values in STORED_COLUMNS order.
 */
import type { Dialect } from './schema.js';
import type { LossEvent } from '../stream/loss.js';
import type { Position } from '../stream/sequence.js';

/** smbta_meta keys `position SOURCE`: how far the stored records cover a live source (JSON Position). */
export const POSITION_KEY = 'position ';

/** The positions a load kept, so a restarted load counts what it never stored. */
export async function storedPositions(store: Store): Promise<Map<string, Position>> {
  const rows = await store.all(`SELECT key, value FROM smbta_meta WHERE key LIKE '${POSITION_KEY}%'`);
  return new Map(rows.map((r) => [String(r.key).slice(POSITION_KEY.length), JSON.parse(String(r.value)) as Position]));
}

/** Record numbers of one writer's run, as half-open ranges [first, next), sorted and merged. */
export type Ranges = [number, number][];

/** One transaction's worth: records, and what is known about them. */
export interface StoreBatch {
  /** Noted in smbta_loads, so a batch retried after a lost connection is stored once. */
  id: string;
  rows: PendingRows;
  /** Senders seen in status blocks, with their protocol. */
  senders: ReadonlyMap<string, string>;
  /** Status blocks seen, per source. */
  status: ReadonlyMap<string, number>;
  /** How far the stored records cover each numbered live source (POSITION_KEY). */
  positions: ReadonlyMap<string, Position>;
  losses: readonly LossEvent[];
  alerts: readonly StoredAlert[];
}

/** An alert block as the store keeps it: its record time, rule and severity, and its JSON. */
export interface StoredAlert {
  time: number;
  rule: string;
  severity: string;
  body: string;
  id: string;
}

/** The bookkeeping statements of a batch after its records (`?` placeholders), the rollups' from `rollups` (PostgreSQL adds its own by COPY). */
export function bookkeeping(
  b: StoreBatch,
  covered: ReadonlyMap<string, Ranges>,
  now: number,
  rollups: (rows: PendingRows) => [string, unknown[]][] = () => [],
): [string, unknown[]][] {
  const out: [string, unknown[]][] = [];
  if (b.rows.n) out.push(['INSERT INTO smbta_loads (batch, records, loaded_at) VALUES (?, ?, ?)', [b.id, b.rows.n, now]], ...rollups(b.rows));
  for (const [server, protocol] of b.senders)
    out.push([
      'INSERT INTO smbta_senders (server, protocol, last_seen) VALUES (?, ?, ?) ON CONFLICT (server) DO UPDATE SET protocol = excluded.protocol, last_seen = excluded.last_seen',
      [server, protocol, now],
    ]);
  for (const [source, blocks] of b.status)
    out.push([
      'INSERT INTO smbta_status (source, blocks, last_seen) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET blocks = smbta_status.blocks + excluded.blocks, last_seen = excluded.last_seen',
      [source, blocks, now],
    ]);
  for (const [source, at] of b.positions)
    out.push([
      'INSERT INTO smbta_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [POSITION_KEY + source, JSON.stringify(at)],
    ]);
  for (const [run, ranges] of covered) {
    out.push(['DELETE FROM smbta_covered WHERE run = ?', [run]]);
    for (const [first, next] of ranges) out.push(['INSERT INTO smbta_covered (run, first, next) VALUES (?, ?, ?)', [run, first, next]]);
  }
  for (const l of b.losses)
    out.push([
      'INSERT INTO smbta_losses (time, end_time, source, records, reason, loss_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [l.from, l.to, l.source, l.records, l.reason, l.id ?? null],
    ]);
  for (const a of b.alerts)
    out.push([
      'INSERT INTO smbta_alerts (time, rule, severity, body, alert_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [a.time, a.rule, a.severity, a.body, a.id],
    ]);
  return out;
}

/** Records waiting to be stored: `n` rows of STORED_COLUMNS.length values each, flat. */
export interface PendingRows {
  values: (string | number)[];
  n: number;
  /** Each row's writer's run ('' when nothing identifies it) and record number: what claim.ts stores once. */
  runs: string[];
  nums: number[];
}

export interface Store {
  readonly dialect: Dialect;
  /** Where it is, for reports (no password). */
  readonly location: string;
  /** Creates the tables and indexes if they are not there. */
  init(): Promise<void>;
  all(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a statement the user typed, refusing anything that would change the store. */
  readOnly(sql: string): Promise<{ columns: string[]; rows: unknown[][] }>;
  /**
   * Stores a batch's rows and its bookkeeping in one transaction; a batch already noted is
   * skipped, so a batch retried after a lost connection is stored once, and so is each row
   * another load stored first (claim.ts). Returns how many rows that was.
   */
  insert(batch: StoreBatch): Promise<number>;
  /**
   * Before a bulk load from archives: drops the record indexes and stops the rollups, which
   * init() builds again at the end in one sorted pass, much faster than row by row. A shared
   * PostgreSQL store keeps both for the others using it.
   */
  suspendIndexes(): Promise<void>;
  /**
   * Deletes records older than `before` (ms), and the rows of each rollup table older than
   * its own time; notes each table's time in smbta_meta (EXPIRED_META); returns how many records.
   */
  expire(before: number, rollups?: readonly (readonly [table: string, before: number])[]): Promise<number>;
  setMeta(key: string, value: string): Promise<void>;
  /** The database's own name and version. */
  version(): Promise<string>;
  /** Opens a new connection after the old one broke (PostgreSQL); SQLite has nothing to do. */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}
