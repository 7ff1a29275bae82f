/**
 * --state FILE: what a long-running program needs to account for a crash. It keeps its
 * stream's run and numbering (so its readers count what a kill cost them), how far the
 * blocks it has let go cover each numbered source (so after a restart it counts what it
 * never passed on), and for smbta-recv how many records of each sender it had let go.
 * Saved before each block leaves, with one write at offset 0: a process killed at any
 * instant leaves either the old state or the new one, never half of one.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Position } from '../stream/sequence.js';
import type { StreamWriter, WriterOptions } from '../stream/writer.js';
import type { Reporter } from '../io/report.js';
import { UsageError } from '../language/errors.js';

export interface SavedState {
  program: string;
  /** The stream's run and the number its next record gets (programs that serve a stream). */
  run?: string;
  next?: number;
  /** Numbered sources: where the records let go so far end. */
  covered: Record<string, Position>;
  /** smbta-recv: records let go per sender connection. */
  senders?: Record<string, number>;
  /** smbta-recv --audit-file: the file followed (its inode) and the offset read up to, all of it in blocks let go. */
  audit?: AuditPosition;
  /**
   * smbta-rotate: files about to grow, with their sizes before, while a commit writes them.
   * Found at start, it means the commit did not finish: the files are cut back to those sizes.
   */
  intent?: [string, number][];
  /** smbta-alert: its baseline rules' per-period sums (alert/engine.ts's SavedBaselines). */
  baselines?: unknown;
  /** False while running: a state found unclean at start means the last run was killed. */
  clean: boolean;
  saved: number;
}

export type StateChange = Omit<SavedState, 'program' | 'saved'>;

export interface AuditPosition {
  path: string;
  ino: number;
  pos: number;
}

/** What a program adds to its writer's state: smbta-recv's senders and audit file position. */
export type StateExtra = Pick<StateChange, 'senders' | 'audit'>;

/** What a writer's stream says of itself: its run, numbering and coverage, and what the program adds. */
export function writerState(w: StreamWriter, clean: boolean, extra: StateExtra = {}): StateChange {
  return { run: w.runId, next: w.next, covered: Object.fromEntries(w.covered), ...extra, clean };
}

export class StateFile {
  private readonly fd: number;
  private written = 0;
  /** What the last run left, when there was one. */
  readonly previous: SavedState | undefined;

  constructor(
    readonly path: string,
    private readonly program: string,
  ) {
    this.previous = readState(path, program);
    try {
      this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    } catch (err) {
      throw new UsageError(`--state ${path}: ${(err as Error).message}`);
    }
    this.written = fstatSync(this.fd).size;
  }

  /** Where a resumed writer starts, and where its sources stood. */
  resume(): { run: string; next: number; covered: Map<string, Position> } | undefined {
    const p = this.previous;
    return p?.run !== undefined && p.next !== undefined ? { run: p.run, next: p.next, covered: this.covered() } : undefined;
  }

  covered(): Map<string, Position> {
    return new Map(Object.entries(this.previous?.covered ?? {}));
  }

  save(change: StateChange): void {
    const text = JSON.stringify({ program: this.program, ...change, saved: Date.now() });
    // Padding over a longer old state keeps this one write; JSON.parse ignores the spaces.
    const bytes = Buffer.from(text.padEnd(this.written, ' '));
    writeSync(this.fd, bytes, 0, bytes.length, 0);
    this.written = Math.max(this.written, bytes.length);
  }

  /** For the writer of the stream served: it goes on with the saved run, and saves before each block leaves. */
  writing(extra?: () => StateExtra): Pick<WriterOptions, 'resume' | 'onCommit'> {
    return { resume: this.resume(), onCommit: (w) => this.save(writerState(w, false, extra?.())) };
  }

  /** A clean stop: the last state, saved as such. */
  finish(change: StateChange): void {
    this.save({ ...change, clean: true });
    this.close();
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** --state FILE of `program` (undefined without the option), after saying what a killed last run could not. */
export function openState(path: string | undefined, program: string, report: Reporter): StateFile | undefined {
  if (path === undefined) return undefined;
  const state = new StateFile(path, program);
  reportUncleanStop(state, (m) => report.warn(m));
  return state;
}

/** Where a killed last run stopped, and for recv what each sender had passed on. */
function reportUncleanStop(state: StateFile, say: (m: string) => void): void {
  const p = state.previous;
  if (!p || p.clean) return;
  const numbering = p.run === undefined ? '' : `; going on with its run ${p.run} from record ${p.next}, so readers count the blocks they missed`;
  say(`${state.path}: the last run was stopped without shutting down (killed?) at ${new Date(p.saved).toISOString()}${numbering}`);
  for (const [sender, n] of Object.entries(p.senders ?? {})) {
    say(`${state.path}: sender ${sender} had ${n} records passed on when the last run stopped; what it sent after those was lost with that run`);
  }
}

function readState(path: string, program: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`--state ${path}: ${(err as Error).message}`);
  }
  if (!text.trim()) return undefined;
  let s: SavedState;
  try {
    s = JSON.parse(text) as SavedState;
  } catch {
    throw new UsageError(`--state ${path}: not a state file (remove it to start a new run)`);
  }
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new UsageError(`--state ${path}: damaged (remove it to start a new run)`);
  if (s.program !== program) throw new UsageError(`--state ${path}: belongs to ${String(s.program)}, not ${program}; give each program its own`);
  const numbered = s.run === undefined || (/^[0-9a-f]{16}$/.test(String(s.run)) && Number.isSafeInteger(s.next) && s.next! >= 0);
  if (!numbered || typeof s.covered !== 'object' || s.covered === null || (s.intent !== undefined && !Array.isArray(s.intent))) {
    throw new UsageError(`--state ${path}: damaged (remove it to start a new run)`);
  }
  return s;
}
