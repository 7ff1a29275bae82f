/**
 * Merges records that share key fields within a time window, conserving what they say:
 * `bytes`, `count` and `latency` are summed, `latency_max` is the largest, `time` the
 * earliest and `end` the latest; other fields are the first record's. A window opens at
 * its first record and spans `windowMs` (or is the aligned bin of `binMs`). Windows are
 * emitted, in the order they opened, once the input's time has passed their end, so
 * memory holds only the open windows.
 */
import { FIELD_NAMES, fieldDef, type FieldName, type SmbRecord } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';

export interface ClusterOptions {
  keys: readonly FieldName[];
  /** Window length from a cluster's first record (ms); 0 keeps every record. */
  windowMs: number;
  /** Bins aligned to the epoch (ms), instead of windows from the first record. */
  binMs?: number;
}

interface Cluster {
  rec: SmbRecord;
  closesAt: number;
  /** Where the open cluster sits in the key trie, so closing it can take it out. */
  leaf: Map<number, Trie | Cluster>;
  leafKey: number;
}

/** Open clusters by key: one level per key field, keyed by small integers (string ids, op numbers). */
type Trie = Map<number, Trie | Cluster>;

/** Interned strings beyond which the tables start again (memory stays bounded). */
const MAX_INTERNED = 1 << 20;

export class Clusterer {
  private root: Trie = new Map();
  private openCount = 0;
  private queue: Cluster[] = [];
  private head = 0;
  private watermark = -Infinity;
  /** Ids for strings, so the trie is keyed by small integers. */
  private ids = new Map<string, number>();

  constructor(
    private readonly opts: ClusterOptions,
    private readonly emit: (r: SmbRecord) => void,
  ) {}

  /** Merges the given rows of a batch (all `count` when `rows` is null). */
  addRows(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const { keys } = this.opts;
    const cols = keys.map((k) => b.column(FIELD_NAMES.indexOf(k)));
    const remaps = keys.map((k) => (fieldDef(k)!.kind === 'string' ? new Int32Array(b.strings.size).fill(-1) : undefined));
    const time = b.nums('time');
    const bytes = b.nums('bytes');
    const cnt = b.nums('count');
    const end = b.nums('end');
    const lat = b.nums('latency');
    const latMax = b.nums('latency_max');
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      let node = this.root;
      let v = 0;
      for (let f = 0; f < keys.length; f++) {
        // `| 0`: numbers from Float64Array columns are doubles, and Map lookups want small integers.
        v = cols[f]![i]! | 0;
        const remap = remaps[f];
        if (remap) {
          let id = remap[v]!;
          if (id < 0) id = remap[v] = this.id(b.strings.get(v));
          v = id;
        }
        if (f === keys.length - 1) break;
        let next = node.get(v) as Trie | undefined;
        if (next === undefined) node.set(v, (next = new Map()));
        node = next;
      }
      const t = time[i]!;
      let c = node.get(v) as Cluster | undefined;
      // A bin takes only its own times; a window also takes a late record from before it opened.
      if (c && t < c.closesAt && (!this.opts.binMs || t >= c.rec.time)) {
        const r = c.rec;
        r.bytes += bytes[i]!;
        r.count += cnt[i]!;
        r.latency += lat[i]!;
        if (latMax[i]! > r.latency_max) r.latency_max = latMax[i]!;
        if (end[i]! > r.end) r.end = end[i]!;
        if (t < r.time && !this.opts.binMs) r.time = t;
      } else {
        const rec = b.record(i);
        const start = this.opts.binMs ? Math.floor(t / this.opts.binMs) * this.opts.binMs : t;
        if (this.opts.binMs) rec.time = start;
        c = { rec, closesAt: start + (this.opts.binMs ?? this.opts.windowMs), leaf: node, leafKey: v };
        if (node.get(v) === undefined) this.openCount++;
        node.set(v, c);
        this.queue.push(c);
      }
      if (t > this.watermark) this.watermark = t;
    }
    this.flush(this.watermark);
    if (this.ids.size > MAX_INTERNED && this.openCount === 0) this.restart();
    else if (this.ids.size > 4 * MAX_INTERNED) this.restart();
  }

  /**
   * Starts the intern tables again, when nothing is open or, failing that, when they grow
   * far too big (then open windows are written first: their totals are whole, and records
   * of the same key that follow start new windows). Batches cache ids per block only, so
   * nothing refers to the old numbers afterwards.
   */
  private restart(): void {
    this.flush();
    this.ids = new Map();
    this.root = new Map();
  }

  private id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) this.ids.set(s, (id = this.ids.size));
    return id;
  }

  /** Emits, in the order they opened, the clusters whose window ended by `upTo` (all when Infinity). */
  flush(upTo = Infinity): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.closesAt <= upTo) {
      const c = q[this.head++]!;
      if (c.leaf.get(c.leafKey) === c) {
        c.leaf.delete(c.leafKey);
        this.openCount--;
      }
      this.emit(c.rec);
    }
    if (this.head > 4096 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  get openClusters(): number {
    return this.openCount;
  }
}
