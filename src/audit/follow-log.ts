/**
 * `--audit-file`: a log file followed as `tail -F` follows it, losing nothing across
 * rotation, however fast it comes. smbd renames `log.smbd` to `log.smbd.old` itself when
 * `max log size` is reached, several times a second under load, and logrotate renames to
 * `.1` and creates a new file; every smbd process writes on to the file it has open until it
 * reopens. So:
 *  - the directory is watched (inotify), so a new file is opened as it appears, not at the
 *    next poll: a generation renamed away twice between two polls would be gone;
 *  - the rotated names (`.old`, `.1`) are looked at too: a generation missed all the same is
 *    read from its start;
 *  - a file renamed away stays open and is read until it has been quiet for 10 s.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { MAX_LINE, readStdin, type AuditReader } from './audit-input.js';

/** Where following a log file starts: its beginning, its end, or a saved position (--state). */
export type FollowFrom = 'start' | 'end' | { ino: number; pos: number };

/** A file being read: its descriptor, inode, offset, bytes not yet a whole line, and when it last grew. */
interface Followed {
  fd: number;
  ino: number;
  pos: number;
  partial: string;
  text: StringDecoder;
  grew: number;
}

/** How long a rotated-away file is still read after it last grew: each smbd writes on to its old file until it reopens. */
const DRAIN_QUIET_MS = 10_000;
/** The names a rotated log takes: smbd's own, and logrotate's first. */
const ROTATED = ['.old', '.1'];
/** Rotated files read to their end and closed, remembered (inode → offset) so they are not read twice. */
const FINISHED_KEPT = 64;

export interface FollowedLog {
  done: Promise<void>;
  /** Where the current file stands, for --state. */
  position(): { ino: number; pos: number } | undefined;
}

/** Follows `path` (`-`: stdin to its end) until `signal` aborts, then reads everything open a last time. */
export function followAuditFile(path: string, reader: AuditReader, signal: AbortSignal, from: FollowFrom = 'start', pollMs = 200): FollowedLog {
  const server = hostname();
  if (path === '-') return { done: readStdin(reader, server, signal), position: () => undefined };
  const log = new LogFollower(path, reader, server);
  log.start(from);
  let watcher: FSWatcher | undefined;
  try {
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (event, changed) => {
      if (event === 'rename' && (!changed || changed.startsWith(name))) log.poll(false);
    });
    watcher.on('error', () => watcher?.close()); // the directory went away: the timer goes on
  } catch {
    watcher = undefined; // no inotify here: the timer alone
  }
  const done = (async () => {
    while (!signal.aborted) {
      log.poll(false);
      // Node's abortable timer: a stop ends the wait at once.
      await delay(pollMs, undefined, { signal }).catch(() => undefined);
    }
    watcher?.close();
    log.poll(true);
    log.close();
  })();
  return { done, position: () => log.position() };
}

class LogFollower {
  private file: Followed | undefined;
  private readonly draining: Followed[] = [];
  private readonly finished = new Map<number, number>();

  constructor(
    private readonly path: string,
    private readonly reader: AuditReader,
    private readonly server: string,
  ) {}

  /** Opens the file where `from` says; rotated files already there are history, not read. */
  start(from: FollowFrom): void {
    for (const suffix of ROTATED) {
      const st = statOf(this.path + suffix);
      if (st) this.finish(st.ino, st.size);
    }
    this.file = this.open(this.path, from);
  }

  position(): { ino: number; pos: number } | undefined {
    const f = this.file;
    return f && { ino: f.ino, pos: f.pos - Buffer.byteLength(f.partial) };
  }

  /** Reads everything new; `last`: the run ends, so rotated files are read out and closed. */
  poll(last: boolean): void {
    // Older files first: what the current file holds, what was renamed away, then what is new.
    if (this.file) this.drain(this.file);
    this.followRotation();
    for (const f of [...this.draining]) {
      this.drain(f);
      if (Date.now() - f.grew < DRAIN_QUIET_MS && !last) continue;
      if (f.partial) this.reader.line(f.partial, this.server);
      closeSync(f.fd);
      this.finish(f.ino, f.pos);
      this.draining.splice(this.draining.indexOf(f), 1);
    }
    if (this.file) this.drain(this.file);
  }

  /** Closes the current file; its position stays, for --state. */
  close(): void {
    if (this.file) closeSync(this.file.fd);
  }

  /** A new file at the path, a truncated one, and generations rotated away unseen. */
  private followRotation(): void {
    const st = statOf(this.path); // undefined between the rename and the new file
    const file = this.file;
    if (st && (!file || st.ino !== file.ino)) {
      if (file) this.draining.push(file);
      this.file = this.open(this.path, 'start');
    } else if (st && file && st.size < file.pos) {
      file.pos = 0;
      file.partial = '';
    }
    for (const suffix of ROTATED) {
      const old = statOf(this.path + suffix);
      if (!old || this.file?.ino === old.ino || this.draining.some((f) => f.ino === old.ino)) continue;
      const done = this.finished.get(old.ino);
      if (done !== undefined && old.size <= done) continue;
      // Never seen (renamed away before it could be opened), or grown since it was read out.
      const f = this.open(this.path + suffix, done === undefined ? 'start' : { ino: old.ino, pos: done });
      if (f) this.draining.push(f);
    }
  }

  private open(path: string, start: FollowFrom): Followed | undefined {
    try {
      const fd = openSync(path, 'r');
      const st = fstatSync(fd);
      const pos = start === 'end' ? st.size : start === 'start' ? 0 : start.ino === st.ino && start.pos <= st.size ? start.pos : 0;
      this.finished.delete(st.ino);
      return { fd, ino: st.ino, pos, partial: '', text: new StringDecoder('utf8'), grew: Date.now() };
    } catch {
      return undefined; // not there (yet): tried again at the next poll
    }
  }

  private finish(ino: number, pos: number): void {
    this.finished.delete(ino);
    this.finished.set(ino, pos);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value!);
  }

  private drain(f: Followed): void {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (let n = readSync(f.fd, buf, 0, buf.length, f.pos); n > 0; n = readSync(f.fd, buf, 0, buf.length, f.pos)) {
      f.pos += n;
      f.grew = Date.now();
      // A character split across two reads is decoded whole, with the next read.
      const lines = (f.partial + f.text.write(buf.subarray(0, n))).split('\n');
      f.partial = lines.pop()!.slice(-MAX_LINE);
      for (const l of lines) this.reader.line(l, this.server);
    }
  }
}

function statOf(path: string): { ino: number; size: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
