/**
 * Loads a record stream into a store in batches, each in one transaction. A batch is held
 * until the store has committed it; when the database goes away (a restart, a network
 * cut) the loader says so, waits, reconnects and stores the same batch again, which the
 * store's batch notes keep from being stored twice. Expiry runs between batches.
 */
import { rollupCutoffs, type Rollup } from '../store/rollups.js';
import { createHash, randomUUID } from 'node:crypto';
import { alertFromJson } from '../record/alert.js';
import type { RunContext } from '../runtime/context.js';
import { readSelected, type PreparedInput } from '../runtime/input.js';
import { FIELD_NAMES } from '../record/fields.js';
import { rowRange, type RecordBatch } from '../stream/batch.js';
import { bodyText, statusSenders } from '../stream/decoder.js';
import { BlockKind } from '../stream/format.js';
import { lossEvent, type LossEvent } from '../stream/loss.js';
import { nameKey, RECORD_COLUMNS, STORED_COLUMNS } from '../store/schema.js';
import { storedPositions, type PendingRows, type Store, type StoreBatch, type StoredAlert } from '../store/types.js';
import { blockIdentity, CoveredRuns } from './covered.js';
import { positionThrough, type Position } from '../stream/sequence.js';

export interface LoadOptions {
  batchRecords: number;
  /** Live sources: store what is waiting at least this often (ms). */
  flushMs: number;
  expire?: Expiry;
  /** Receives the function that changes the expiry while loading. */
  control?: (setExpiry: (e: Expiry | undefined) => void) => void;
}

export interface Expiry {
  olderThanMs: number;
  everyMs: number;
  /** How long each rollup is kept (parseRollupKeep). */
  keep: Readonly<Record<Rollup['grain'], number | undefined>>;
}

const COLUMN_INDEX = RECORD_COLUMNS.map(([field]) => FIELD_NAMES.indexOf(field));
const STRING_FIELDS = new Set(['user', 'sid', 'domain', 'share', 'path', 'path2', 'client', 'server']);
const IS_STRING = RECORD_COLUMNS.map(([field]) => STRING_FIELDS.has(field));

/** Errors worth waiting out: the connection, the server going down or busy, a lock. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e.code === 'string' && /^(08|57|53|40)/.test(e.code)) return true;
  if (typeof e.code === 'string' && /^(E[A-Z]+|SQLITE_BUSY|SQLITE_LOCKED)$/.test(e.code)) return true;
  return /Connection terminated|not queryable|connection.*(closed|ended)|terminating connection/i.test(e.message ?? '');
}

export interface LoadResult {
  records: number;
  batches: number;
  /** Records left out because the store already held them (the same run and number). */
  skipped: number;
  /** Records the input said were lost before they reached it, now noted in the store. */
  lost: number;
  /** Text values that held a NUL, stored with U+FFFD instead. */
  repaired: number;
  /** Records the database refused (a data error), each reported; the rest of their batch was stored. */
  refused: number;
}

export async function loadStream(store: Store, input: PreparedInput, ctx: RunContext, o: LoadOptions): Promise<LoadResult> {
  const run = randomUUID();
  const covered = new CoveredRuns(await store.all('SELECT run, first, next FROM smbta_covered'));
  let pending = noRows();
  let senders = new Map<string, string>();
  let status = new Map<string, number>();
  let losses: LossEvent[] = [];
  let alerts: StoredAlert[] = [];
  let skipped = 0;
  let lost = 0;
  let repaired = 0;
  let refused = 0;
  // How far the waiting rows cover each numbered live source: stored with them, so a
  // restarted load counts what it never stored (the sources' trackers start from there).
  let positions = new Map<string, Position>();
  const expect = (b: RecordBatch, source: string): void => void (b.position && positions.set(source, b.position));
  let queue: Promise<void> = Promise.resolve();
  let stored = 0;
  let batches = 0;
  let failure: Error | undefined;
  if (ctx.metrics) ctx.metrics.recordsOut = () => stored;

  /** Runs `work` after what is queued; a lasting failure stops the load. */
  const enqueue = (work: () => Promise<void>): Promise<void> =>
    (queue = queue.then(work).catch((err) => {
      failure ??= err instanceof Error ? err : new Error(String(err));
    }));

  // Status blocks, losses and alerts after the last records are committed too: a batch may hold nothing else.
  const commit = (): Promise<void> => {
    if (pending.n === 0 && positions.size === 0 && senders.size === 0 && status.size === 0 && losses.length === 0 && alerts.length === 0) return queue;
    const batch: StoreBatch = { id: `${run}:${batches++}`, rows: pending, senders, status, positions, losses, alerts };
    pending = noRows();
    senders = new Map();
    status = new Map();
    positions = new Map();
    losses = [];
    alerts = [];
    return enqueue(async () => {
      const n = await insertOrSplit(store, ctx, batch);
      refused += n.refused;
      skipped += n.skipped;
      stored += batch.rows.n - n.refused - n.skipped;
      input.commits?.committed(batch.positions);
    });
  };

  // One batch may be committing while the next is read: the database and the reader work at once.
  let inFlight: Promise<void> | undefined;
  const commitFull = async (): Promise<void> => {
    const previous = inFlight;
    inFlight = commit();
    await previous;
  };

  const flusher = setInterval(() => void commit(), o.flushMs);
  let expiry: NodeJS.Timeout | undefined;
  /** Expires now and then every `everyMs`, between batches; undefined stops it (SIGHUP may change it). */
  const setExpiry = (e: Expiry | undefined): void => {
    clearInterval(expiry);
    expiry = undefined;
    if (!e) return;
    const expire = (): void =>
      void enqueue(async () => {
        const n = await persist(store, ctx, () => store.expire(Date.now() - e.olderThanMs, rollupCutoffs(e.keep, Date.now())));
        if (n) ctx.report.warn(`expired ${n} records older than ${new Date(Date.now() - e.olderThanMs).toISOString()}`);
      });
    expire();
    expiry = setInterval(expire, e.everyMs);
  };
  setExpiry(o.expire);
  o.control?.(setExpiry);
  try {
    await readSelected(
      { ...input, resume: await storedPositions(store) },
      ctx,
      async (b, rows, n, source) => {
        if (failure) throw failure;
        const id = blockIdentity(b);
        const selected = (rows ?? rowRange(0, n)).subarray(0, n);
        const all = id ? covered.fresh(id.run, id.seq, selected) : selected;
        skipped += n - all.length;
        n = all.length;
        for (let done = 0; done < n;) {
          const m = Math.min(n - done, o.batchRecords - pending.n);
          const slice = all.subarray(done, done + m);
          repaired += append(pending, b, slice, m, id);
          if (id) covered.add(id.run, id.seq, slice);
          done += m;
          // A batch split across transactions: each covers the part of it it stores.
          const at = positionThrough(b, all, done, n);
          if (at) positions.set(source, at);
          if (pending.n >= o.batchRecords) await commitFull();
        }
      },
      (side, source, newlyLost) => {
        for (const [server, protocol] of statusSenders(side)) senders.set(server, protocol);
        if (side.kind === BlockKind.Status) {
          const from = bodyText(side.body.source, source);
          status.set(from, (status.get(from) ?? 0) + 1);
        }
        if (newlyLost > 0) {
          losses.push(lossEvent(side, source, newlyLost));
          lost += newlyLost;
        }
        const alert = side.kind === BlockKind.Alert ? storedAlert(side.body) : undefined;
        if (alert) alerts.push(alert);
      },
      expect,
    );
  } finally {
    clearInterval(flusher);
    clearInterval(expiry);
  }
  await commit();
  if (failure) throw failure;
  return { records: stored, batches, skipped, lost, repaired, refused };
}

/** An alert block as the store keeps it, known by a hash of its JSON (loading it again stores it once); undefined when it is not one. */
function storedAlert(body: Record<string, unknown>): StoredAlert | undefined {
  const a = alertFromJson(body);
  if (!a) return undefined;
  const json = JSON.stringify(body);
  return { time: a.time, rule: a.rule, severity: a.severity, body: json, id: createHash('sha256').update(json).digest('hex') };
}

/** A database that refuses the data itself (not the link): PostgreSQL's classes 22 and 23, SQLite's type, size and constraint errors. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^2[23][0-9A-Z]{3}$/.test(code) || /^SQLITE_(MISMATCH|TOOBIG|CONSTRAINT)/.test(code));
}

const WIDTH = STORED_COLUMNS.length;

const noRows = (): PendingRows => ({ values: [], n: 0, runs: [], nums: [] });

/** Rows [from, to) of a pending set. */
const slice = (rows: PendingRows, from: number, to: number): PendingRows => ({
  values: rows.values.slice(from * WIDTH, to * WIDTH),
  n: to - from,
  runs: rows.runs.slice(from, to),
  nums: rows.nums.slice(from, to),
});

/**
 * Stores a batch; when the database refuses its data, halves it until the refused records
 * are found, reports and counts each, and stores the rest (the bookkeeping goes with the
 * last part, so it is stored whatever is refused). Returns the records refused, and those
 * another load had stored first.
 */
async function insertOrSplit(store: Store, ctx: RunContext, b: StoreBatch): Promise<{ refused: number; skipped: number }> {
  try {
    return { refused: 0, skipped: await persist(store, ctx, () => store.insert(b)) };
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (b.rows.n <= 1) {
      const v = b.rows.values;
      const what = b.rows.n ? ` (${new Date(Number(v[0])).toISOString()} ${String(v[3])} ${String(v[7])})` : '';
      ctx.report.fail(`the database refused a record${what}: ${(err as Error).message}; skipped, the others are stored`);
      if (b.rows.n) await persist(store, ctx, () => store.insert({ ...b, rows: noRows() }));
      return { refused: b.rows.n, skipped: 0 };
    }
    const half = Math.ceil(b.rows.n / 2);
    const none = { senders: new Map(), status: new Map(), positions: new Map(), losses: [], alerts: [] };
    const first = await insertOrSplit(store, ctx, { ...b, ...none, id: `${b.id}a`, rows: slice(b.rows, 0, half) });
    const second = await insertOrSplit(store, ctx, { ...b, id: `${b.id}b`, rows: slice(b.rows, half, b.rows.n) });
    return { refused: first.refused + second.refused, skipped: first.skipped + second.skipped };
  }
}

/** Retries `work` through transient failures, reconnecting between tries, until it succeeds or the run is stopped twice. */
async function persist<T>(store: Store, ctx: RunContext, work: () => Promise<T>): Promise<T> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await work();
    } catch (err) {
      if (!isTransient(err)) throw err;
      ctx.report.warn(`database unavailable (${(err as Error).message}); keeping the batch, retrying in ${delay / 1000}s`);
      await new Promise((r) => setTimeout(r, delay));
      await store.reconnect().catch(() => undefined);
    }
  }
}

/** Appends rows of a batch; returns how many text values held a NUL (stored with U+FFFD: PostgreSQL cannot hold one). */
function append(p: PendingRows, b: RecordBatch, rows: Uint32Array, n: number, id: { run: string; seq: number } | undefined): number {
  const cols = COLUMN_INDEX.map((k) => b.column(k));
  const strings = b.strings;
  const keys = new Map<number, number>();
  let repaired = 0;
  const texts = new Map<number, string>();
  const dirty = new Set<number>();
  const clean = (ref: number): string => {
    let t = texts.get(ref);
    if (t !== undefined) return t;
    t = strings.get(ref);
    if (t.includes('\0')) {
      dirty.add(ref);
      t = t.replaceAll('\0', '\uFFFD');
    }
    texts.set(ref, t);
    return t;
  };
  const text = (ref: number): string => {
    const t = clean(ref);
    if (dirty.has(ref)) repaired++;
    return t;
  };
  const key = (ref: number): number => keys.get(ref) ?? (keys.set(ref, nameKey(clean(ref))), keys.get(ref)!);
  const users = b.refs('user');
  const shares = b.refs('share');
  const v = p.values;
  for (let k = 0; k < n; k++) {
    const i = rows[k]!;
    for (let c = 0; c < cols.length; c++) v.push(IS_STRING[c] ? text(cols[c]![i]!) : cols[c]![i]!);
    v.push(key(users[i]!), key(shares[i]!));
    p.runs.push(id?.run ?? '');
    p.nums.push(id ? id.seq + i : 0);
  }
  p.n += n;
  return repaired;
}
