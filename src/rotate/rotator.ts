/**
 * smbta-rotate's engine: files records by record time (or size, or count) into files named
 * by a pattern. A file is written under a temporary name and renamed when whole; nothing is
 * ever overwritten; a time file stays open `lateMs` past its period for late records. On
 * start it finishes what a crashed run left behind. Closing runs the on-close command.
 * Blocks reach the files in commits (every 100 ms, and before a file closes), all files at
 * once, after --state has noted their sizes; a run killed during a commit is cut back to
 * those sizes at the next start, so the archive always holds exactly what --state says it
 * covers, and the sources' numbering counts the rest as lost.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Reporter } from '../io/report.js';
import type { SplitMode } from '../runtime/split-mode.js';
import { orphans } from '../io/temp-files.js';
import type { StateFile } from '../runtime/state-file.js';
import type { RecordBatch } from '../stream/batch.js';
import type { Position } from '../stream/sequence.js';
import { StreamWriter } from '../stream/writer.js';
import { compressFile, expireFiles, runOnClose } from './finish.js';
import { GrowingFile } from './growing-file.js';
import { baseDir, expandFields, expandTime, hasRecordFields, patternRegExp, unusedName } from './names.js';
import { nextPeriod, periodStart } from '../format/period.js';
import { rollBack } from './recovery.js';

export interface RotateOptions {
  pattern: string;
  mode: SplitMode;
  lateMs: number;
  compress: boolean;
  onClose?: string;
  keepMs?: number;
  report: Reporter;
  state?: StateFile;
}

interface OpenFile {
  path: string;
  file: GrowingFile;
  writer: StreamWriter;
  periodEnd: number;
}

const COMMIT_MS = 100;
/** -M size: blocks are sized by the bytes a record has taken so far, with this much to spare. */
const SIZE_MARGIN = 1.1;
/** What a block costs besides its records (header, column codings, dictionaries), generously. */
const BLOCK_OVERHEAD = 1024;

export class Rotator {
  /** Records filed so far (for --metrics). */
  records = 0;
  private readonly open = new Map<string, OpenFile>();
  /** Files full or past their period, closed after the batch that filled them is committed. */
  private retiring: OpenFile[] = [];
  private readonly running = new Set<Promise<void>>();
  /** How far the committed files cover each numbered source, and what waits for the next commit. */
  readonly covered: Map<string, Position>;
  private readonly waiting = new Map<string, Position>();
  private readonly committer: NodeJS.Timeout;
  private watermark = -Infinity;
  /** -M size: records blocks written so far, and their bytes. */
  private readonly written = { bytes: 0, records: 0 };
  /** Side blocks that came while no file was open for them (a pattern by user, share or server). */
  private pendingSide: Buffer[] = [];
  private readonly hasFields: boolean;
  private readonly ours: RegExp;
  private readonly base: string;

  constructor(private o: RotateOptions) {
    this.hasFields = hasRecordFields(o.pattern);
    this.ours = patternRegExp(o.pattern);
    this.base = baseDir(o.pattern);
    this.covered = o.state?.covered() ?? new Map<string, Position>();
    this.committer = setInterval(() => this.commit(), COMMIT_MS);
    this.committer.unref();
  }

  /**
   * Cuts back what a killed commit half wrote, then finishes files a crashed run left behind
   * (renamed, compressed, on-close run), then expires old ones.
   */
  async recover(): Promise<void> {
    rollBack(this.o.state?.previous?.intent ?? [], this.o.report);
    for (const o of orphans(this.base)) {
      if (!this.ours.test(o.path)) continue;
      const path = unusedName(o.path);
      await rename(o.temp, path);
      this.o.report.warn(`recovered ${path}, left unfinished by process ${o.pid}`);
      await this.finished(path);
    }
    await this.expire();
  }

  /** Changes what happens to finished files from now on (SIGHUP). */
  configure(change: Pick<RotateOptions, 'onClose' | 'keepMs'>): void {
    this.o = { ...this.o, ...change };
  }

  /** Files the given rows of a batch (from `source`, whose numbering --state follows). */
  async addRows(b: RecordBatch, rows: Uint32Array | null, count: number, source?: string): Promise<void> {
    this.records += count;
    const time = b.nums('time');
    const groups = new Map<string, number[]>();
    const fieldMemo = new Map<string, string>();
    const share = b.refs('share');
    const user = b.refs('user');
    const server = b.refs('server');
    const span = this.o.mode.kind === 'time' ? this.o.mode.ms : 0;
    // Consecutive records nearly always go to the same file: only a change costs a lookup.
    let prevFields = '';
    let prevPeriod = NaN;
    let group: number[] = [];
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      let fields = this.o.pattern;
      if (this.hasFields) {
        const refs = `${share[i]},${user[i]},${server[i]}`;
        fields = fieldMemo.get(refs) ?? '';
        if (!fields) fieldMemo.set(refs, (fields = expandFields(this.o.pattern, b.record(i))));
      }
      const t = time[i]!;
      if (t > this.watermark) this.watermark = t;
      const period = span ? periodStart(t, span) : 0;
      if (period !== prevPeriod || fields !== prevFields) {
        prevPeriod = period;
        prevFields = fields;
        const key = span ? `${fields}\0${period}` : fields;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        group = g;
      }
      group.push(i);
    }
    for (const [key, idx] of groups) {
      let done = 0;
      while (done < idx.length) {
        const f = this.fileFor(key, time[idx[done]!]!);
        const m = this.o.mode;
        let n = idx.length - done;
        if (m.kind === 'count') n = Math.min(n, m.records - f.writer.records);
        // By size: as many records as the room left holds at the rate the last block took.
        if (m.kind === 'size') n = Math.min(n, Math.max(1, Math.floor((m.bytes - f.writer.bytes - BLOCK_OVERHEAD) / this.bytesPerRecord())));
        const before = f.writer.bytes;
        f.writer.addRows(b, Uint32Array.from(idx.slice(done, done + n)), n);
        done += n;
        if (m.kind === 'size') {
          f.writer.flush();
          this.written.bytes += f.writer.bytes - before;
          this.written.records += n;
        }
        if (this.full(f)) this.retire(key);
      }
    }
    this.expect(b, source);
    if (span) {
      for (const [key, f] of this.open) if (f.periodEnd + this.o.lateMs <= this.watermark) this.retire(key);
    }
    await this.closeRetired();
  }

  /**
   * A status, gap or info block: kept in the file of the period it speaks of (its first
   * time), so the archive says where records were lost and which senders were seen. With a
   * pattern by user, share or server it goes into that period's open files (or, when none is
   * open, every open file, or the next one opened).
   */
  addSide(raw: Buffer): void {
    const t = Number(raw.readBigInt64LE(16));
    const m = this.o.mode;
    const period = m.kind === 'time' ? periodStart(t, m.ms) : 0;
    if (!this.hasFields) return this.fileFor(m.kind === 'time' ? `${this.o.pattern}\0${period}` : this.o.pattern, t).writer.writeRaw(raw);
    const files = [...this.open].filter(([key]) => m.kind !== 'time' || key.endsWith(`\0${period}`)).map(([, f]) => f);
    const targets = files.length ? files : [...this.open.values()];
    if (!targets.length) this.pendingSide.push(raw);
    for (const f of targets) f.writer.writeRaw(raw);
  }

  /** A numbered batch none of whose rows were selected: covered at the next commit. */
  pass(b: RecordBatch, source: string): void {
    this.expect(b, source);
  }

  private expect(b: RecordBatch, source: string | undefined): void {
    if (source !== undefined && b.position) this.waiting.set(source, b.position);
  }

  /**
   * Lands every file's waiting blocks at once. --state first notes the files' sizes (cut back
   * to them if the commit is killed), then, once landed, what they now cover.
   */
  commit(): void {
    const files = [...this.open.values(), ...this.retiring];
    for (const f of files) f.writer.flush();
    const growing = files.filter((f) => f.file.heldBytes);
    if (!growing.length && !this.waiting.size) return;
    const state = this.o.state;
    if (growing.length) state?.save({ covered: Object.fromEntries(this.covered), intent: growing.map((f) => [f.file.temp, f.file.size]), clean: false });
    for (const f of growing) f.file.land();
    for (const [source, at] of this.waiting) this.covered.set(source, at);
    this.waiting.clear();
    state?.save({ covered: Object.fromEntries(this.covered), clean: false });
  }

  /** -M size: what a record has taken on average (a generous guess before any), with some to spare. */
  private bytesPerRecord(): number {
    const { bytes, records } = this.written;
    return records ? (SIZE_MARGIN * bytes) / records : 256;
  }

  private full(f: OpenFile): boolean {
    const m = this.o.mode;
    if (m.kind === 'count') return f.writer.records >= m.records;
    // Full when one more record would not fit: a file passes the size only by what the estimate missed.
    if (m.kind === 'size') return f.writer.bytes + BLOCK_OVERHEAD + this.bytesPerRecord() > m.bytes;
    return false;
  }

  private fileFor(key: string, t: number): OpenFile {
    let f = this.open.get(key);
    if (f) return f;
    const m = this.o.mode;
    const start = m.kind === 'time' ? periodStart(t, m.ms) : t;
    const fields = key.split('\0')[0]!;
    const taken = (p: string): boolean => existsSync(p) || existsSync(`${p}.bz2`) || [...this.open.values(), ...this.retiring].some((x) => x.path === p);
    const path = unusedName(expandTime(fields, start), taken);
    mkdirSync(dirname(path), { recursive: true });
    const file = new GrowingFile(path);
    // No flush timer of its own: commits cut the blocks.
    f = { path, file, writer: new StreamWriter(file), periodEnd: m.kind === 'time' ? nextPeriod(start, m.ms) : Infinity };
    this.open.set(key, f);
    for (const raw of this.pendingSide.splice(0)) f.writer.writeRaw(raw);
    return f;
  }

  /** Takes a file out of use; it closes once what it holds is committed. */
  private retire(key: string): void {
    this.retiring.push(this.open.get(key)!);
    this.open.delete(key);
  }

  private async closeRetired(): Promise<void> {
    if (!this.retiring.length) return;
    this.commit();
    const done = this.retiring;
    this.retiring = [];
    for (const f of done) {
      f.file.finish();
      await this.finished(f.path);
    }
    await this.expire();
  }

  /** A whole file: compress it if asked, then run the on-close command on it. */
  private async finished(path: string): Promise<void> {
    const final = this.o.compress && !path.endsWith('.bz2') ? await compressFile(path) : path;
    if (!this.o.onClose) return;
    const p = runOnClose(this.o.onClose, final, this.o.report);
    this.running.add(p);
    void p.then(() => this.running.delete(p));
  }

  /** --keep: deletes this pattern's finished files older than the limit. */
  private async expire(): Promise<void> {
    if (this.o.keepMs === undefined) return;
    const open = new Set([...this.open.values()].map((f) => f.path));
    await expireFiles(this.base, (p) => this.ours.test(p) && !open.has(p), Date.now() - this.o.keepMs, this.o.report);
  }

  /** Closes every open file (a stop), runs their on-close commands, and waits for them. */
  async closeAll(): Promise<void> {
    clearInterval(this.committer);
    for (const key of [...this.open.keys()]) this.retire(key);
    this.commit();
    await this.closeRetired();
    await Promise.all(this.running);
    this.o.state?.finish({ covered: Object.fromEntries(this.covered), clean: true });
  }
}
