/**
 * Merges records that share key fields within a time window, conserving what they say:
 * `bytes`, `count` and `latency` are summed, `latency_max` is the largest, `time` the
 * earliest and `end` the latest; other fields are the first record's. A window opens at
 * its first record and spans `windowMs`, or is the local period of `binMs` that holds it
 * (hours at local hours, days at local midnight through daylight-saving changes, weeks from
 * Monday). Windows are emitted, in the order they opened, once the input's time has passed
 * their end (bins: by `lateMs` more), so memory holds only the open windows.
 *
 * Open clusters live in columns (one typed array per field, strings as ids into one
 * intern table) rather than as objects: a million records open and close several hundred
 * thousand clusters, and objects for them would spend the time in the garbage collector.
 */
import { FIELD_NAMES, type FieldName } from '../record/fields.js';
import { RecordBatch, type Column, type StringTable } from '../stream/batch.js';
import { COLUMNS, COLUMN_INDEX as COL } from '../stream/columns.js';
import { nextPeriod, periodStart } from '../format/period.js';

export interface ClusterOptions {
  keys: readonly FieldName[];
  /** Window length from a cluster's first record (ms); 0 keeps every record. */
  windowMs: number;
  /** Bins of local periods of this length (ms), instead of windows from the first record. */
  binMs?: number;
  /** How long past a bin's end (in input time) it waits for late records before it is written. */
  lateMs?: number;
}

/** Receives closed clusters as rows of a batch that is valid only during the call. */
export type ClusterSink = (batch: RecordBatch, rows: Uint32Array, count: number) => void;

const STRING_COLUMNS = COLUMNS.filter((c) => c.isString).map((c) => c.index);
const NUMBER_COLUMNS = COLUMNS.filter((c) => !c.isString).map((c) => c.index);
/** What merging adds up. */
const SUMMED = [COL.bytes, COL.count, COL.latency];

/** Below this many open clusters per table slot, the key table grows (linear probing wants room). */
const MAX_LOAD = 0.5;

/** Interned values beyond which the tables start again (memory stays bounded). */
const MAX_INTERNED = 1 << 20;
/** How far ahead of this machine's clock a record may be dated and still move the clusterer's. */
const FUTURE_MS = 86_400_000;

export class Clusterer {
  /** Strings and key numbers by id; `names[id]` is the string of a string id. */
  private names!: string[];
  private stringIds!: Map<string, number>;
  private numberIds!: Map<number, number>;
  /** The intern table as a batch's string table; a new one after each restart, as ids change meaning. */
  private strings!: StringTable;

  /** Per slot: every field (strings as ids), when the window closes, its key's ids and hash. */
  private cols: Column[] = [];
  private closesAt = new Float64Array(0);
  private keyIds = new Int32Array(0);
  private hashes = new Int32Array(0);
  /**
   * Open clusters by key: an open-addressing table of slots (-1 empty) probed linearly
   * from the key's hash. Typed arrays rather than a Map of Maps: no per-record
   * allocation, and one probe instead of a lookup per key field.
   */
  private table = new Int32Array(1024).fill(-1);
  private free: number[] = [];
  private slots = 0;
  private openCount = 0;

  /** Slots in the order their windows opened; [head, tail) are still queued. */
  private queue = new Uint32Array(1024);
  private head = 0;
  private tail = 0;
  private watermark = -Infinity;
  /** The end of the latest bin written: a record before it comes too late for its bin. */
  private writtenUpTo = -Infinity;
  /** Records that came after their bin was written, so their key has a second row in that bin. */
  tooLate = 0;
  private readonly keyCols: number[];
  private readonly key: Int32Array;

  constructor(
    private readonly opts: ClusterOptions,
    private readonly emit: ClusterSink,
  ) {
    this.keyCols = opts.keys.map((k) => FIELD_NAMES.indexOf(k));
    this.key = new Int32Array(this.keyCols.length);
    this.restart();
    this.grow(1024);
  }

  /** Merges the given rows of a batch (all `count` when `rows` is null). */
  addRows(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const { binMs, windowMs } = this.opts;
    const remap = new Int32Array(b.strings.size).fill(-1);
    const src = COLUMNS.map((c) => b.column(c.index));
    const keyCols = this.keyCols.map((k) => src[k]!);
    const keyIsString = this.keyCols.map((k) => COLUMNS[k]!.isString);
    const nKeys = keyCols.length;
    const time = src[COL.time]!;
    const key = this.key;
    // A record dated far ahead (a sender's clock set to 2999) is merged, but moves no clock:
    // otherwise every bin would close and every later record arrive too late.
    const latest = Date.now() + FUTURE_MS;
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      let h = 0x811c9dc5;
      for (let f = 0; f < nKeys; f++) {
        const v = keyCols[f]![i]!;
        const id = keyIsString[f] ? (remap[v]! >= 0 ? remap[v]! : this.stringId(b, remap, v)) : this.numberId(v);
        key[f] = id;
        h = Math.imul(h ^ id, 0x01000193);
      }
      h ^= h >>> 15;
      const at = this.find(h);
      const s = this.table[at]!;
      const t = time[i]!;
      // A bin takes only its own times; a window also takes a late record from before it opened.
      // (The time column is read here, not once per batch: opening a slot may grow the columns.)
      if (s >= 0 && t < this.closesAt[s]! && (!binMs || t >= this.cols[COL.time]![s]!)) this.merge(s, src, i);
      else {
        const start = binMs ? periodStart(t, binMs) : t;
        if (binMs && start < this.writtenUpTo) this.tooLate++;
        const slot = this.open(b, remap, src, i);
        this.cols[COL.time]![slot] = start;
        this.closesAt[slot] = binMs ? nextPeriod(start, binMs) : start + windowMs;
        this.keyIds.set(key, slot * nKeys);
        this.hashes[slot] = h;
        this.table[at] = slot;
        if (s < 0 && ++this.openCount > this.table.length * MAX_LOAD) this.rehash();
        this.enqueue(slot);
      }
      if (t > this.watermark && t <= latest) this.watermark = t;
    }
    this.flush(this.watermark - (binMs ? (this.opts.lateMs ?? 0) : 0));
    if (this.names.length > MAX_INTERNED && this.openCount === 0) this.restart();
    else if (this.names.length > 4 * MAX_INTERNED) this.restart();
  }

  /** The table position holding the open cluster with key `this.key`, or the empty one where it would go. */
  private find(h: number): number {
    const { table, keyIds, key } = this;
    const n = key.length;
    const mask = table.length - 1;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const s = table[at]!;
      if (s < 0) return at;
      if (this.hashes[s] !== h) continue;
      let f = 0;
      while (f < n && keyIds[s * n + f] === key[f]) f++;
      if (f === n) return at;
    }
  }

  /** Takes slot `s` out of the key table, if it is still there, shifting later entries back. */
  private remove(s: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let at = this.hashes[s]! & mask;
    while (table[at] !== s) {
      if (table[at]! < 0) return; // a newer window of the same key took its place
      at = (at + 1) & mask;
    }
    this.openCount--;
    // Knuth's deletion for linear probing: move back any entry whose probe passed `at`.
    for (let next = (at + 1) & mask; table[next]! >= 0; next = (next + 1) & mask) {
      const home = this.hashes[table[next]!]! & mask;
      if ((next - home + table.length) % table.length >= (next - at + table.length) % table.length) {
        table[at] = table[next]!;
        at = next;
      }
    }
    table[at] = -1;
  }

  private rehash(): void {
    const old = this.table;
    const table = (this.table = new Int32Array(old.length * 2).fill(-1));
    const mask = table.length - 1;
    for (const s of old) {
      if (s < 0) continue;
      let at = this.hashes[s]! & mask;
      while (table[at]! >= 0) at = (at + 1) & mask;
      table[at] = s;
    }
  }

  private merge(s: number, src: Column[], i: number): void {
    const c = this.cols;
    for (const k of SUMMED) {
      const to = c[k];
      if (to) to[s] = (to[s] ?? 0) + (src[k]?.[i] ?? 0);
    }
    if (src[COL.latency_max]![i]! > c[COL.latency_max]![s]!) c[COL.latency_max]![s] = src[COL.latency_max]![i]!;
    if (src[COL.end]![i]! > c[COL.end]![s]!) c[COL.end]![s] = src[COL.end]![i]!;
    if (!this.opts.binMs && src[COL.time]![i]! < c[COL.time]![s]!) c[COL.time]![s] = src[COL.time]![i]!;
  }

  /** Copies row `i` into a free slot. */
  private open(b: RecordBatch, remap: Int32Array, src: Column[], i: number): number {
    let s = this.free.pop();
    if (s === undefined) {
      if (this.slots === this.closesAt.length) this.grow(this.slots * 2);
      s = this.slots++;
    }
    const c = this.cols;
    for (const k of NUMBER_COLUMNS) c[k]![s] = src[k]![i]!;
    for (const k of STRING_COLUMNS) {
      const ref = src[k]![i]!;
      c[k]![s] = remap[ref]! >= 0 ? remap[ref]! : this.stringId(b, remap, ref);
    }
    return s;
  }

  /** The id of a batch's string not yet in `remap` (callers look there first: most are). */
  private stringId(b: RecordBatch, remap: Int32Array, ref: number): number {
    const s = b.strings.get(ref);
    let id = this.stringIds.get(s);
    if (id === undefined) {
      this.stringIds.set(s, (id = this.names.length));
      this.names.push(s);
    }
    return (remap[ref] = id);
  }

  /** Numbers in keys get ids too, so that any field packs into a level's key. */
  private numberId(v: number): number {
    let id = this.numberIds.get(v);
    if (id === undefined) {
      this.numberIds.set(v, (id = this.names.length));
      this.names.push('');
    }
    return id;
  }

  private grow(n: number): void {
    type Grown = Float64Array | Uint32Array | Int32Array;
    const resize = <A extends Grown>(a: A, make: new (n: number) => A, size = n): A => {
      const next = new make(size);
      next.set(a);
      return next;
    };
    this.cols = COLUMNS.map((c, k) => {
      const old = this.cols[k] ?? (c.isString ? new Uint32Array(0) : new Float64Array(0));
      return old instanceof Uint32Array ? resize(old, Uint32Array) : resize(old, Float64Array);
    });
    this.closesAt = resize(this.closesAt, Float64Array);
    this.hashes = resize(this.hashes, Int32Array);
    this.keyIds = resize(this.keyIds, Int32Array, n * this.keyCols.length);
  }

  private enqueue(slot: number): void {
    if (this.tail === this.queue.length) {
      const live = this.queue.subarray(this.head, this.tail);
      if (live.length * 2 > this.queue.length) {
        const next = new Uint32Array(this.queue.length * 2);
        next.set(live);
        this.queue = next;
      } else this.queue.copyWithin(0, this.head, this.tail);
      this.tail = live.length;
      this.head = 0;
    }
    this.queue[this.tail++] = slot;
  }

  /**
   * Starts the intern tables again, when nothing is open or, failing that, when they grow
   * far too big (then open windows are written first: their totals are whole, and records
   * of the same key that follow start new windows).
   */
  private restart(): void {
    this.flush();
    const names: string[] = (this.names = []);
    this.stringIds = new Map();
    this.numberIds = new Map();
    this.strings = {
      get size() {
        return names.length;
      },
      get: (id) => names[id] ?? '',
    };
  }

  /** Emits, in the order they opened, the clusters whose window ended by `upTo` (all when Infinity). */
  flush(upTo = Infinity): void {
    const from = this.head;
    while (this.head < this.tail && this.closesAt[this.queue[this.head]!]! <= upTo) {
      const s = this.queue[this.head++]!;
      this.remove(s);
      if (this.closesAt[s]! > this.writtenUpTo) this.writtenUpTo = this.closesAt[s]!;
    }
    const n = this.head - from;
    if (n === 0) return;
    const rows = this.queue.slice(from, this.head);
    const cols = this.cols;
    this.emit(new RecordBatch(this.slots, this.strings, (k) => cols[k]!, 0, 0), rows, n);
    for (let k = 0; k < n; k++) this.free.push(rows[k]!);
  }

  get openClusters(): number {
    return this.openCount;
  }
}
