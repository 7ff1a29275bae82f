/**
 * What every reader shares: turning -r/-R/-S/stdin into sources, the trailing filter and
 * -t into one compiled selection, and -N into a stop. A reader only says what to do
 * with the selected rows of each batch.
 */
import { fstatSync } from 'node:fs';
import { compileFilter, type BatchFilter } from '../filter/compile.js';
import { parseFilter } from '../filter/parser.js';
import { parseTimeRange } from '../filter/time-spec.js';
import type { Commits } from '../io/commits.js';
import { checkNatsLink, isNatsUrl, loadNatsAuth, parseNatsUrl } from '../io/jetstream.js';
import type { NatsReading } from '../io/consume.js';
import { loadLinkSecurity, type LinkSecurity, type SecurityArgs } from '../io/link-security.js';
import { isLiveSource, type SourceSpec } from '../io/source-spec.js';
import { readSources } from '../io/sources.js';
import { rowRange, type RecordBatch } from '../stream/batch.js';
import { FormatError } from '../stream/bytes.js';
import { bodyText, type SideBlock } from '../stream/decoder.js';
import type { Position } from '../stream/sequence.js';
import { BlockKind } from '../stream/format.js';
import { gapId } from '../stream/loss.js';
import { UsageError } from '../language/errors.js';
import type { RunContext } from './context.js';

/** What every reader was told: its sources and selection (the filter comes as its trailing words). */
export interface ReaderArgs extends SecurityArgs {
  'nats-creds'?: string;
  'nats-ca'?: string;
  durable?: string;
  read: string[];
  recursive: string[];
  remote: string[];
  time?: string;
  count?: number;
}

/** Rows of a batch chosen by the selection: `rows` null means all `count` rows in order. */
export type RowsHandler = (batch: RecordBatch, rows: Uint32Array | null, count: number, source: string) => void | Promise<void>;

export function parseRemote(text: string): SourceSpec {
  if (isNatsUrl(text)) return parseNatsUrl(text, 'read', '-S');
  if (text.startsWith('tls://')) {
    const spec = parseRemote(text.slice(6));
    if (spec.kind !== 'tcp') throw new UsageError(`-S ${text}: TLS is for HOST:PORT; a Unix socket is already private to this host`);
    return { ...spec, tls: true };
  }
  if (text.startsWith('unix:')) {
    if (text.length === 5) throw new UsageError(`-S ${text}: give a socket path after unix:`);
    return { kind: 'unix', path: text.slice(5) };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`-S ${text}: expected HOST:PORT, [IPV6]:PORT, PORT, tls://HOST:PORT, unix:PATH or nats://HOST:PORT/STREAM`);
  return { kind: 'tcp', host: m[1] || m[2] || 'localhost', port };
}

/** True when stdin is a pipe, a file or a socket: something that brings data (not a terminal or /dev/null). */
export function stdinHasData(): boolean {
  try {
    const s = fstatSync(0);
    return s.isFIFO() || s.isFile() || s.isSocket();
  } catch {
    return false;
  }
}

export function sourceSpecs(args: ReaderArgs): SourceSpec[] {
  const specs: SourceSpec[] = [
    ...args.read.map((path): SourceSpec => ({ kind: 'file', path })),
    ...args.recursive.map((path): SourceSpec => ({ kind: 'dir', path })),
    ...args.remote.map(parseRemote),
  ];
  if (specs.length === 0) {
    if (process.stdin.isTTY) throw new UsageError('no input: give -r FILE, -R DIR or -S HOST:PORT, or pipe a stream in');
    specs.push({ kind: 'file', path: '-' });
  }
  return specs;
}

export interface Selection {
  /** Undefined when every record is selected. */
  filter: BatchFilter | undefined;
  start: number;
  end: number;
  limit: number;
}

/** Compiles the filter expression and -t once; throws LanguageError or UsageError. */
export function buildSelection(expression: string, time: string | undefined, count: number | undefined, now = Date.now()): Selection {
  const expr = parseFilter(expression);
  const filter = expr.kind === 'all' ? undefined : compileFilter(expr, expression, now);
  let start = -Infinity;
  let end = Infinity;
  if (time !== undefined) {
    const range = parseTimeRange(time, now);
    if (!range) throw new UsageError(`-t ${time}: not a time range (try 2026-11-23, 10:00-11:00, -1h or A..B)`);
    ({ start, end } = range);
  }
  return { filter, start, end, limit: count ?? Infinity };
}

export interface PreparedInput {
  specs: SourceSpec[];
  sel: Selection;
  security?: LinkSecurity;
  /** Where each live source stood when this program last let records go (from --state). */
  resume?: ReadonlyMap<string, Position>;
  nats?: NatsReading;
  /** Told where the program's output became durable: what a durable JetStream consumer acknowledges. */
  commits?: Commits;
}

/** A live writer flushes a block at least every 100 ms; one reading only stored files fills whole blocks. */
export function liveFlushMs(input: PreparedInput): number {
  return input.specs.some(isLiveSource) ? 100 : 0;
}

/**
 * Checks and compiles everything a reader was told (sources, filter, -t, -N) before any
 * output is opened, so a usage error never leaves half a stream behind.
 */
export function prepareInput(args: ReaderArgs, filter: readonly string[]): PreparedInput {
  const sel = buildSelection(filter.join(' '), args.time, args.count);
  const specs = sourceSpecs(args);
  const jetstream = specs.filter((s) => s.kind === 'nats');
  if (args.durable !== undefined && !jetstream.length) throw new UsageError('--durable names a JetStream consumer: give -S nats://HOST:PORT/STREAM');
  if (args.durable !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(args.durable))
    throw new UsageError(`--durable ${args.durable}: letters, digits, - and _ only`);
  const auth = loadNatsAuth(args);
  for (const s of jetstream) checkNatsLink(s, auth, '-S');
  return { specs, sel, security: loadLinkSecurity(args), nats: jetstream.length ? { auth, durable: args.durable } : undefined };
}

/** Into `out`, the rows the filter kept (all without one) within the time range (all without one); returns how many. */
function keptRows(length: number, kept: Uint8Array | undefined, time: Float64Array | undefined, span: Selection, out: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < length; i++) {
    if (time && (time[i]! < span.start || time[i]! >= span.end)) continue;
    if (kept && kept[i] === 0) continue;
    out[n++] = i;
  }
  return n;
}

/**
 * Reads every source and hands each batch's selected rows to `onRows`, each status, gap
 * or info block to `onSide` with the records it newly says were lost, and each batch none
 * of whose rows were selected to `onNone` (a writer that keeps --state still passed it).
 */
export async function readSelected(
  input: PreparedInput,
  ctx: RunContext,
  onRows: RowsHandler,
  onSide?: (block: SideBlock, source: string, lost: number) => void,
  onNone?: (batch: RecordBatch, source: string) => void,
): Promise<void> {
  const { specs, sel } = input;
  let remaining = sel.limit;
  if (remaining === 0) return;
  const timed = sel.start > -Infinity || sel.end < Infinity;
  let scratch = new Uint32Array(0);
  const lastDrops = new Map<string, number>();

  const batch = async (b: RecordBatch, source: string): Promise<void> => {
    if (remaining <= 0 || (timed && (b.tmax < sel.start || b.tmin >= sel.end))) return onNone?.(b, source);
    let rows: Uint32Array | null = null;
    let n = b.length;
    try {
      if (sel.filter || timed) {
        if (scratch.length < b.length) scratch = new Uint32Array(b.length);
        n = keptRows(b.length, sel.filter?.(b), timed ? b.nums('time') : undefined, sel, scratch);
        rows = scratch.subarray(0, n);
      }
      if (n > remaining) {
        rows = (rows ?? rowRange(0, b.length)).subarray(0, remaining);
        n = remaining;
      }
      remaining -= n;
      ctx.metrics?.observe(b, rows, n);
      if (n > 0) await onRows(b, rows, n, source);
      else onNone?.(b, source);
      b.release();
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      ctx.report.fail(`${source}: malformed block (${err.message}); its ${b.length} records skipped`);
    }
    if (remaining <= 0) ctx.abort();
  };

  // A loss told again (a server replays recent gaps to readers that reconnect) is passed on and counted once.
  const seenGaps = new Set<string>();
  const side = (s: SideBlock, source: string): void => {
    const id = gapId(s);
    if (id !== undefined) {
      if (seenGaps.has(id)) return;
      seenGaps.add(id);
    }
    const lost = reportSideBlock(s, source, ctx, lastDrops);
    if (lost) ctx.metrics?.lostUpstream(lost);
    onSide?.(s, source, lost);
  };
  await readSources(
    specs,
    { batch, side },
    { report: ctx.report, signal: ctx.signal, security: input.security, resume: input.resume, nats: input.nats, commits: input.commits },
  );
}

/** Loss is never silent: gaps always, status blocks when their drop counters grew. Returns the records newly lost. */
function reportSideBlock(s: SideBlock, source: string, ctx: RunContext, lastDrops: Map<string, number>): number {
  const body = s.body;
  if (s.kind === BlockKind.Gap) {
    if (s.counted !== undefined) return s.counted;
    const lost = Number(body.records ?? 0);
    ctx.report.warn(`${source}: gap in the stream: ${lost} records lost upstream (${bodyText(body.reason, 'unknown reason')})`);
    return lost;
  }
  if (s.kind !== BlockKind.Status) return 0;
  const dropped = (body.dropped ?? {}) as Record<string, number>;
  const total = Object.values(dropped).reduce((a, b) => a + Number(b), 0);
  const from = bodyText(body.source, source);
  const before = lastDrops.get(from) ?? 0;
  lastDrops.set(from, total);
  if (total <= before) return 0;
  const why = Object.entries(dropped)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  ctx.report.warn(`${source}: ${from} reports ${total} records dropped (${why})`);
  return total - before;
}
