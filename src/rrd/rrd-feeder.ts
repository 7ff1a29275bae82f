/**
 * Keeps an rrdtool round-robin database up to date from a stream, as SMBTA's rrd tools
 * did, through Debian's rrdtool. Records are summed per step of record time; a step is
 * written once the stream has passed its end by the late window, empty steps as zeros, so
 * a replayed archive gives the same database as the live stream did. The layout
 * (docs/rrd.md): DS read, write (bytes) and ops, ABSOLUTE, so rrdtool stores rates per
 * second; averages per step for a day, per hour for a month, per day for a year, and the
 * hourly maximum.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isReadOp, isWriteOp } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';

export interface RrdOptions {
  file: string;
  stepSeconds: number;
  lateMs: number;
}

interface StepSums {
  read: number;
  write: number;
  ops: number;
}

/** Steps filled with zeros across a silence at most; beyond, rrdtool records unknown. */
const MAX_FILL = 10_000;
/** Updates per rrdtool run. */
const PER_RUN = 500;

export function rrdtool(args: string[]): string {
  const r = spawnSync('rrdtool', args, { encoding: 'utf8' });
  if (r.error) throw new Error((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'rrdtool not found (apt-get install rrdtool)' : r.error.message);
  if (r.status !== 0) throw new Error(`rrdtool ${args[0]}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export function createArgs(file: string, stepSeconds: number, startSeconds: number): string[] {
  const perHour = Math.max(1, Math.round(3600 / stepSeconds));
  const perDay = Math.max(1, Math.round(86400 / stepSeconds));
  const beat = 2 * stepSeconds;
  return [
    'create',
    file,
    '--step',
    String(stepSeconds),
    '--start',
    String(startSeconds),
    `DS:read:ABSOLUTE:${beat}:0:U`,
    `DS:write:ABSOLUTE:${beat}:0:U`,
    `DS:ops:ABSOLUTE:${beat}:0:U`,
    `RRA:AVERAGE:0.5:1:${perDay}`,
    `RRA:AVERAGE:0.5:${perHour}:${24 * 31}`,
    `RRA:MAX:0.5:${perHour}:${24 * 31}`,
    `RRA:AVERAGE:0.5:${perDay}:366`,
  ];
}

export class RrdFeeder {
  private readonly stepMs: number;
  private sums = new Map<number, StepSums>();
  /** The last step written to the file; -Infinity before the file exists. */
  private written = -Infinity;
  private watermark = -Infinity;
  late = 0;
  steps = 0;

  constructor(private readonly o: RrdOptions) {
    this.stepMs = o.stepSeconds * 1000;
    if (existsSync(o.file)) this.written = Math.floor(Number(rrdtool(['last', o.file]).trim()) / o.stepSeconds) - 1;
  }

  add(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const time = b.nums('time');
    const op = b.nums('op');
    const bytes = b.nums('bytes');
    const cnt = b.nums('count');
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      const step = Math.floor(time[i]! / this.stepMs);
      if (step <= this.written) {
        this.late++;
        continue;
      }
      let s = this.sums.get(step);
      if (!s) this.sums.set(step, (s = { read: 0, write: 0, ops: 0 }));
      const o = op[i]!;
      if (isReadOp(o)) s.read += bytes[i]!;
      else if (isWriteOp(o)) s.write += bytes[i]!;
      s.ops += cnt[i]!;
      if (time[i]! > this.watermark) this.watermark = time[i]!;
    }
    this.flush(Math.floor((this.watermark - this.o.lateMs) / this.stepMs));
  }

  /** Writes every step before `before` (all with Infinity), in order, empty ones as zeros. */
  flush(before = Infinity): void {
    const ready = [...this.sums.keys()].filter((s) => s < before).sort((a, b) => a - b);
    if (ready.length === 0) return;
    if (this.written === -Infinity) {
      rrdtool(createArgs(this.o.file, this.o.stepSeconds, ready[0]! * this.o.stepSeconds));
      this.written = ready[0]! - 1;
    }
    const updates: string[] = [];
    for (const step of ready) {
      // Silence since the last step written: zeros, so rates show 0 rather than unknown.
      for (let s = Math.max(this.written + 1, step - MAX_FILL); s < step; s++) updates.push(`${(s + 1) * this.o.stepSeconds}:0:0:0`);
      const v = this.sums.get(step)!;
      updates.push(`${(step + 1) * this.o.stepSeconds}:${v.read}:${v.write}:${v.ops}`);
      this.sums.delete(step);
      this.written = step;
    }
    for (let k = 0; k < updates.length; k += PER_RUN) rrdtool(['update', this.o.file, ...updates.slice(k, k + PER_RUN)]);
    this.steps += updates.length;
  }
}

/** Draws read and write throughput from the database as a PNG. */
export function graphArgs(file: string, png: string, startSeconds: number, endSeconds: number): string[] {
  return [
    'graph',
    png,
    '--start',
    String(startSeconds),
    '--end',
    String(endSeconds),
    '--title',
    'smbta: bytes per second',
    '--vertical-label',
    'bytes/s',
    '--base',
    '1024',
    '--width',
    '800',
    '--height',
    '250',
    `DEF:r=${file}:read:AVERAGE`,
    `DEF:w=${file}:write:AVERAGE`,
    'AREA:r#3b7dd8:read',
    'LINE2:w#d8633b:write',
  ];
}
