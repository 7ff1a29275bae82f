/**
 * One interface over the two SQL stores, so the loader and the query executor are written
 * once: `?` placeholders everywhere (PostgreSQL's are numbered by its store), records
 * handed over as flat rows of values in STORED_COLUMNS order.
 */
import type { Dialect } from './schema.js';
import type { Position } from '../stream/sequence.js';

/** smbta_meta keys `position SOURCE`: how far the stored records cover a live source (JSON Position). */
export const POSITION_KEY = 'position ';

/** The positions a load kept, so a restarted load counts what it never stored. */
export async function storedPositions(store: Store): Promise<Map<string, Position>> {
  const rows = await store.all(`SELECT key, value FROM smbta_meta WHERE key LIKE '${POSITION_KEY}%'`);
  return new Map(rows.map((r) => [String(r.key).slice(POSITION_KEY.length), JSON.parse(String(r.value)) as Position]));
}

/** Records waiting to be stored: `n` rows of STORED_COLUMNS.length values each, flat. */
export interface PendingRows {
  values: (string | number)[];
  n: number;
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
   * Stores rows and notes batch `id` as loaded, in one transaction; a batch already noted
   * is skipped, so a batch retried after a lost connection is stored once. The same
   * transaction keeps how far the stored records cover each numbered source (POSITION_KEY).
   */
  insert(id: string, rows: PendingRows, senders: ReadonlyMap<string, string>, positions: ReadonlyMap<string, Position>): Promise<void>;
  /**
   * Before a bulk load from archives: drops the record indexes, which init() builds again
   * at the end in one sorted pass, much faster than row by row. A shared PostgreSQL store
   * keeps its indexes for the others using it.
   */
  suspendIndexes(): Promise<void>;
  /** Deletes records older than `before` (ms); returns how many. */
  expire(before: number): Promise<number>;
  setMeta(key: string, value: string): Promise<void>;
  /** The database's own name and version. */
  version(): Promise<string>;
  /** Opens a new connection after the old one broke (PostgreSQL); SQLite has nothing to do. */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}
