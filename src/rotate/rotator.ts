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
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describeIoError } from '../io/consume.js';
import type { Reporter } from '../io/report.js';
import { hostname } from 'node:os';
import { BlockKind } from '../stream/format.js';
import type { SplitMode } from '../runtime/split-mode.js';
import { orphans } from '../io/temp-files.js';
import type { StateFile } from '../runtime/state-file.js';
import type { Commits } from '../io/commits.js';
import type { RecordBatch } from '../stream/batch.js';
import type { Position } from '../stream/sequence.js';
import { StreamWriter } from '../stream/writer.js';
import { compressFile, expireFiles, runOnClose } from './finish.js';
import { GrowingFile } from './growing-file.js';
import { baseDir, expandFields, expandTime, hasRecordFields, patternRegExp, unusedName } from './names.js';
import { nextPeriod, periodStart } from '../format/period.js';
import { formatSize } from '../format/units.js';
import { rollBack } from './recovery.js';

export interface RotateOptions {
  pattern: string;
  mode: SplitMode;
  lateMs: number;
  compress: boolean;
  onClose?: string;
  keepMs?: number;
  /** Bytes of blocks held while files cannot be written; past it their records are dropped and counted (default 256 MiB). */
  maxHeld?: number;
  /** Records dated further ahead of this machine's clock go to the quarantine file (default: a day). */
  futureMs?: number;
  report: Reporter;
  state?: StateFile;
  /** Told what the archive covers after each commit (a durable JetStream consumer acknowledges that far). */
  commits?: Commits;
}

interface OpenFile {
  path: string;
  file: GrowingFile;
  writer: StreamWriter;
  periodEnd: number;
}

const COMMIT_MS = 100;
/** Before this, a year has fewer than four digits: such a record goes to the quarantine file too. */
const EARLIEST = Date.UTC(1000, 0, 2);
const LATEST = Date.UTC(9999, 11, 30);
const QUARANTINE = '\0quarantine';
/** At the end, how often and how long apart writing a file that fails is tried again. */
const CLOSE_TRIES = 10;
const CLOSE_RETRY_MS = 500;
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
  /** Records let go of because their file could not be written (counted, and told in the file). */
  dropped = 0;
  /** Files that cannot be written now, and why (said once per reason). */
  private readonly failing = new Map<string, string>();
  /** Records dated outside the present, kept apart so they move no clock and make no odd names. */
  quarantined = 0;
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
    this.committer = setInterval(() => {
      try {
        this.commit();
      } catch (err) {
        // The state file's own disk may be full too: the commit is tried again.
        this.localError(this.o.state?.path ?? 'the state file', err);
      }
    }, COMMIT_MS);
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
    const apart: number[] = [];
    const latest = Math.min(LATEST, Date.now() + (this.o.futureMs ?? 86_400_000));
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      if (!(time[i]! >= EARLIEST && time[i]! <= latest)) {
        apart.push(i);
        continue;
      }
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
    if (apart.length) this.quarantine(b, apart);
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
   * A status, gap or alert block: kept in the file of the period it speaks of (its first
   * time), so the archive says where records were lost and which senders were seen. With a
   * pattern by user, share or server it goes into that period's open files (or, when none is
   * open, every open file, or the next one opened). An info block says who wrote the stream,
   * not when anything happened: it goes with the records in the same way, never into a file
   * of its own (replaying last week would otherwise leave a file for this hour).
   */
  addSide(raw: Buffer): void {
    const t = Number(raw.readBigInt64LE(16));
    const m = this.o.mode;
    const period = m.kind === 'time' ? periodStart(t, m.ms) : 0;
    if (!this.hasFields && raw[5] !== BlockKind.Info)
      return this.fileFor(m.kind === 'time' ? `${this.o.pattern}\0${period}` : this.o.pattern, t).writer.writeRaw(raw);
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
    // Every file lands, or the sources' positions stay where the archive is whole.
    const failed = growing.filter((f) => !this.landed(f));
    if (failed.length) return this.holding(failed);
    for (const [source, at] of this.waiting) this.covered.set(source, at);
    this.waiting.clear();
    state?.save({ covered: Object.fromEntries(this.covered), clean: false });
    this.o.commits?.committed(this.covered);
  }

  /** Lands a file's blocks; a local error (EACCES, ENOSPC) is said once, and the blocks wait for the next commit. */
  private landed(f: OpenFile): boolean {
    try {
      f.file.land();
    } catch (err) {
      this.localError(f.path, err);
      return false;
    }
    if (this.failing.delete(f.path)) this.o.report.warn(`${f.path}: writing again`);
    return true;
  }

  private get maxHeld(): number {
    return this.o.maxHeld ?? 256 << 20;
  }

  private localError(path: string, err: unknown): void {
    const why = describeIoError(err);
    if (this.failing.get(path) === why) return;
    this.failing.set(path, why);
    this.o.report.fail(`cannot write ${path}: ${why}; holding its records in memory (up to ${formatSize(this.maxHeld)} in all, --max-held) and retrying`);
  }

  /**
   * Past the memory bound, the records of files that cannot be written are let go of: counted,
   * said, and told in a gap block in the file itself, which lands when the disk takes it.
   */
  private holding(failed: OpenFile[]): void {
    const held = [...this.open.values(), ...this.retiring].reduce((n, f) => n + f.file.heldBytes, 0);
    if (held <= this.maxHeld) return;
    for (const f of failed) {
      const shed = f.file.shed();
      if (!shed.records) continue;
      this.dropped += shed.records;
      const reason = `not written: ${this.failing.get(f.path) ?? 'a write error'}`;
      f.writer.writeSide(BlockKind.Gap, { records: shed.records, reason, source: `smbta-rotate@${hostname()}`, from: shed.from, to: shed.to });
      this.o.report.fail(`${f.path}: ${shed.records} records dropped (${reason}, and ${formatSize(this.maxHeld)} already held)`);
    }
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
    const f = this.open.get(key);
    if (f) return f;
    const m = this.o.mode;
    const start = m.kind === 'time' ? periodStart(t, m.ms) : t;
    return this.openFile(key, expandTime(key.split('\0')[0]!, start), m.kind === 'time' ? nextPeriod(start, m.ms) : Infinity);
  }

  private openFile(key: string, name: string, periodEnd: number): OpenFile {
    const taken = (p: string): boolean => existsSync(p) || existsSync(`${p}.bz2`) || [...this.open.values(), ...this.retiring].some((x) => x.path === p);
    const path = unusedName(name, taken);
    const file = new GrowingFile(path);
    // No flush timer of its own: commits cut the blocks.
    const f = { path, file, writer: new StreamWriter(file), periodEnd };
    this.open.set(key, f);
    for (const raw of this.pendingSide.splice(0)) f.writer.writeRaw(raw);
    return f;
  }

  /**
   * Records dated outside the present (a sender's clock set to 2999, a year of three digits):
   * one file under the pattern's base, open until the end, said when it opens and at the end.
   */
  private quarantine(b: RecordBatch, rows: number[]): void {
    let f = this.open.get(QUARANTINE);
    if (!f) {
      f = this.openFile(QUARANTINE, join(this.base, 'quarantine.smbta'), Infinity);
      const when = new Date(b.nums('time')[rows[0]!]!);
      this.o.report.warn(
        `records dated outside the present (the first: ${Number.isNaN(when.getTime()) ? 'no date' : when.toISOString()}) are kept apart in ${f.path} (--future)`,
      );
    }
    f.writer.addRows(b, Uint32Array.from(rows), rows.length);
    this.quarantined += rows.length;
  }

  /** Takes a file out of use; it closes once what it holds is committed. */
  private retire(key: string): void {
    this.retiring.push(this.open.get(key)!);
    this.open.delete(key);
  }

  private async closeRetired(): Promise<void> {
    if (!this.retiring.length) return;
    this.commit();
    const retiring = this.retiring;
    this.retiring = [];
    for (const f of retiring) {
      // A file that cannot be written yet stays retiring, and is finished at a later commit.
      if (f.file.heldBytes || !this.finishedWhole(f)) this.retiring.push(f);
      else await this.finished(f.path);
    }
    await this.expire();
  }

  private finishedWhole(f: OpenFile): boolean {
    try {
      f.file.finish();
      return true;
    } catch (err) {
      this.localError(f.path, err);
      return false;
    }
  }

  /** A whole file: compress it if asked (kept plain when that fails), then run the on-close command on it. */
  private async finished(path: string): Promise<void> {
    let final = path;
    if (this.o.compress && !path.endsWith('.bz2')) {
      try {
        final = await compressFile(path);
      } catch (err) {
        this.o.report.fail(`${path}: not compressed (${describeIoError(err)}); kept as it is`);
      }
    }
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
    const apart = this.open.get(QUARANTINE);
    if (apart) this.o.report.warn(`${this.quarantined} records dated outside the present kept in ${apart.path}`);
    for (const key of [...this.open.keys()]) this.retire(key);
    this.commit();
    await this.closeRetired();
    // A disk that is full or closed to us: tried for a while, then what could not land is counted.
    for (let k = 0; this.retiring.length && k < CLOSE_TRIES; k++) {
      await new Promise((r) => setTimeout(r, CLOSE_RETRY_MS));
      await this.closeRetired();
    }
    for (const f of this.retiring) {
      const lost = f.file.shed().records;
      this.dropped += lost;
      this.o.report.fail(
        `${f.path}: ${lost} records could not be written (${this.failing.get(f.path) ?? 'a write error'}); what is on disk is in ${f.file.temp}`,
      );
    }
    await Promise.all(this.running);
    if (this.retiring.length) return; // not clean: the next start cuts the files back to what --state covers
    this.o.state?.finish({ covered: Object.fromEntries(this.covered), clean: true });
  }
}
