/**
 * smbta-recv's full_audit inputs: syslog over UDP (`--audit-udp`) or a Unix datagram socket
 * (`--audit-unix`, as /dev/log), and a log file followed across rotation as `tail -F` follows
 * it (`--audit-file`, `-` for stdin). Each line
 * becomes a record handed to the receiver; a line that is not full_audit is counted and
 * said (the first few), an operation smbta does not map is said once and skipped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, closeSync, fstatSync, lstatSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import split2 from 'split2';
import type { UnixDgramSocket } from 'unix-dgram';
import { visible } from '../format/text.js';
import { opId, type SmbRecord } from '../record/fields.js';
import { sayFirst, type FirstFew, type Reporter } from '../io/report.js';
import { isQuiet, parseAuditLine } from './full-audit.js';
import { sambaHeaderTime, unframeSyslog } from './syslog.js';

export interface AuditTarget {
  record(r: SmbRecord, server: string): void;
  /** Counts a line that could not be read, under `reason`. */
  reject(reason: string): void;
  report: Reporter;
}

const MAX_ERRORS_SAID = 10;
const OP_DELETE = opId('delete');
const OP_RMDIR = opId('rmdir');
/** A line longer than this is cut off and counted, not held. */
const MAX_LINE = 64 * 1024;

/** Directories remembered per reader to tell a directory's unlinkat from a file's (oldest forgotten first). */
const MAX_DIRS = 65_536;

export class AuditReader {
  private saidSkips = new Set<string>();
  private pendingTime: number | undefined;
  /** The last Samba log header named another source file than full_audit's: the lines to the next are Samba's own. */
  private pendingOther = false;
  /** Lines of Samba's own log between audit lines: not records, so not counted as rejected. */
  sambaLines = 0;
  /** Paths (per server) last opened or made as directories: full_audit's unlinkat is the same for both. */
  private readonly dirs = new Set<string>();
  private readonly skipped: FirstFew;

  constructor(
    private readonly prefix: readonly string[],
    readonly target: AuditTarget,
    private readonly label: string,
  ) {
    this.skipped = sayFirst(MAX_ERRORS_SAID, (m) => target.report.warn(m), `${label}: further lines that are not full_audit are only counted`);
  }

  /**
   * One full_audit message (framing removed) at `time` from `server`. In a Samba log, a line
   * after a header of another source file that is not full_audit is Samba's own message.
   */
  message(msg: string, time: number, server: string, sambaOwn = false): void {
    const got = parseAuditLine(msg.trim(), this.prefix, time, server);
    if (sambaOwn && 'error' in got) {
      // chdir_current_service: ..., smbd's banner: not records, so not rejected ones.
      if (this.sambaLines++ === 0) this.target.report.warn(`${this.label}: Samba's own log lines between audit lines are skipped (they are not records)`);
      return;
    }
    if ('record' in got) {
      const r = got.record;
      this.kind(`${r.server || server}\0${r.share}\0${r.path}`, got.dir, r);
      return this.target.record(r, r.server || server);
    }
    if ('skip' in got) {
      // Said once per operation, for a bounded number of them: a sender cannot grow the set.
      if (!isQuiet(got.skip) && !this.saidSkips.has(got.skip) && this.saidSkips.size < MAX_ERRORS_SAID * 10) {
        this.saidSkips.add(got.skip);
        this.target.report.warn(`${this.label}: full_audit operation '${visible(got.skip)}' is not one smbta records; such lines are skipped`);
      }
      return;
    }
    this.target.reject('not full_audit');
    this.skipped(`${this.label}: line skipped: ${visible(got.error)}`);
  }

  /** Notes what a path is; a file's unlinkat is a delete, a directory's an rmdir. */
  private kind(key: string, dir: boolean | undefined, r: SmbRecord): void {
    if (dir !== undefined) {
      this.dirs.delete(key);
      if (dir) this.dirs.add(key);
      if (this.dirs.size > MAX_DIRS) this.dirs.delete(this.dirs.values().next().value!);
    } else if (r.op === OP_DELETE && this.dirs.delete(key)) r.op = OP_RMDIR;
  }

  /** One line of a log file: syslog-framed, a Samba log header, or the full_audit line after one. */
  line(text: string, server: string): void {
    if (!text.trim()) return;
    const header = sambaHeaderTime(text);
    if (header !== undefined) {
      this.pendingTime = header;
      this.pendingOther = !/vfs_full_audit\.c/.test(text);
      return;
    }
    const framed = unframeSyslog(text, Date.now());
    if (framed) return this.message(framed.msg, framed.time, framed.host || server);
    const time = this.pendingTime ?? Date.now();
    this.pendingTime = undefined;
    this.message(text, time, server, this.pendingOther);
  }
}

/** One syslog datagram from `sender`: a message, framed (RFC 3164/5424) or bare. */
function datagram(reader: AuditReader, buf: Buffer, sender: string, serverNames: ReadonlyMap<string, string>): void {
  const text = buf.toString('utf8');
  const framed = unframeSyslog(text, Date.now());
  if (framed) reader.message(framed.msg, framed.time, framed.host ? (serverNames.get(framed.host) ?? framed.host) : sender);
  else reader.message(text, Date.now(), sender);
}

/** Listens for syslog datagrams; each is one message. */
export async function listenAuditUdp(port: number, bind: string, reader: AuditReader, serverNames: ReadonlyMap<string, string>): Promise<Socket> {
  const socket = createSocket({ type: bind.includes(':') ? 'udp6' : 'udp4' });
  socket.on('message', (buf, from) => datagram(reader, buf, serverNames.get(from.address) ?? from.address, serverNames));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, bind, () => resolve());
  });
  // Bursts outrun a small socket buffer and the kernel drops datagrams unseen: ask for more
  // (the kernel caps it at net.core.rmem_max).
  try {
    socket.setRecvBufferSize(8 << 20);
  } catch {
    // keep the default
  }
  return socket;
}

/**
 * Listens on a Unix datagram socket at `path`, as syslog's /dev/log: Samba's full_audit with
 * `full_audit:syslog = true` writes there when it is the system's log socket, or rsyslog
 * forwards to it (omuxsock). A stale socket left by a crash is replaced; any other file
 * there is refused. The socket is removed when `signal` aborts.
 */
export async function listenAuditUnix(
  path: string,
  mode: number,
  reader: AuditReader,
  serverNames: ReadonlyMap<string, string>,
  signal: AbortSignal,
): Promise<UnixDgramSocket> {
  try {
    if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket`);
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const server = serverNames.get(hostname()) ?? hostname();
  // Loaded only when asked for: the native addon cannot load in worker threads (the fuzzer's).
  const { createSocket } = await import('unix-dgram');
  const socket = createSocket('unix_dgram', (buf) => datagram(reader, buf, server, serverNames));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('listening', () => {
      socket.off('error', reject);
      // smbd sends as the connected user once a share is connected: the socket must let every user write.
      chmodSync(path, mode);
      // The library emits errors of later sends and receives; a datagram socket has no others.
      socket.on('error', (err: Error) => reader.target.report.warn(`${path}: ${err.message}`));
      signal.addEventListener(
        'abort',
        () => {
          socket.close();
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
        { once: true },
      );
      resolve(socket);
    });
    socket.bind(path);
  });
}

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

/**
 * Follows a log file as `tail -F` does, losing nothing across rotation: when the file is
 * renamed away (logrotate, or smbd's own `log.smbd.old`) or replaced, the old one stays open
 * and is read until it has been quiet for 10 s (smbd processes write on to it until they
 * reopen), and the new one is read from its start; a truncated file is read again from its
 * start. `-` reads stdin to its end. `position()` says where the current file stands, for
 * --state. Resolves when `signal` aborts, after a last read of everything open.
 */
export function followAuditFile(
  path: string,
  reader: AuditReader,
  signal: AbortSignal,
  from: FollowFrom = 'start',
  pollMs = 200,
): { done: Promise<void>; position(): { ino: number; pos: number } | undefined } {
  const server = hostname();
  if (path === '-') return { done: readStdin(reader, server, signal), position: () => undefined };
  let file: Followed | undefined;
  const draining: Followed[] = [];
  const open = (start: FollowFrom): void => {
    try {
      const fd = openSync(path, 'r');
      const st = fstatSync(fd);
      const pos = start === 'end' ? st.size : start === 'start' ? 0 : start.ino === st.ino && start.pos <= st.size ? start.pos : 0;
      file = { fd, ino: st.ino, pos, partial: '', text: new StringDecoder('utf8'), grew: Date.now() };
    } catch {
      file = undefined; // not there (yet): tried again at the next poll
    }
  };
  const drain = (f: Followed): void => {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (let n = readSync(f.fd, buf, 0, buf.length, f.pos); n > 0; n = readSync(f.fd, buf, 0, buf.length, f.pos)) {
      f.pos += n;
      f.grew = Date.now();
      // A character split across two reads is decoded whole, with the next read.
      const lines = (f.partial + f.text.write(buf.subarray(0, n))).split('\n');
      f.partial = lines.pop()!.slice(-MAX_LINE);
      for (const l of lines) reader.line(l, server);
    }
  };
  const poll = (): void => {
    if (file) drain(file);
    for (const f of [...draining]) {
      drain(f);
      if (Date.now() - f.grew < DRAIN_QUIET_MS && !signal.aborted) continue;
      if (f.partial) reader.line(f.partial, server);
      closeSync(f.fd);
      draining.splice(draining.indexOf(f), 1);
    }
    let st: { ino: number; size: number } | undefined;
    try {
      st = statSync(path);
    } catch {
      st = undefined; // between the rename and the new file
    }
    if (st && (!file || st.ino !== file.ino)) {
      if (file) draining.push(file);
      open('start');
    } else if (st && file && st.size < file.pos) {
      file.pos = 0;
      file.partial = '';
    }
  };
  open(from);
  const done = (async () => {
    while (!signal.aborted) {
      poll();
      // Node's abortable timer: a stop ends the wait at once.
      await delay(pollMs, undefined, { signal }).catch(() => undefined);
    }
    poll();
    for (const f of draining.splice(0)) closeSync(f.fd);
    if (file) closeSync(file.fd);
  })();
  return { done, position: () => file && { ino: file.ino, pos: file.pos - Buffer.byteLength(file.partial) } };
}

function readStdin(reader: AuditReader, server: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    // skipOverflow (split2 has it; its types do not): an overlong line is dropped, not fatal.
    const options = { maxLength: MAX_LINE, skipOverflow: true };
    const lines = process.stdin.pipe(split2(options));
    lines.on('data', (l: string) => reader.line(l, server));
    lines.on('end', resolve);
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
