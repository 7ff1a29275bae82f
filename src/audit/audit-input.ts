/**
 * smbta-recv's full_audit inputs: syslog over UDP (`--audit-udp`) or a Unix datagram socket
 * (`--audit-unix`, as /dev/log), and a log file followed across rotation as `tail -F` follows
 * it (`--audit-file`, `-` for stdin). Each line
 * becomes a record handed to the receiver; a line that is not full_audit is counted and
 * said (the first few), an operation smbta does not map is said once and skipped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import split2 from 'split2';
import type { UnixDgramSocket } from 'unix-dgram';
import { visible } from '../format/text.js';
import { opId, type SmbRecord } from '../record/fields.js';
import { sayFirst, type FirstFew, type Reporter } from '../io/report.js';
import { isQuiet, parseAuditLine } from './full-audit.js';
import { sambaHeaderTime, unframeSyslog, type Framed } from './syslog.js';

/** The syslog tag full_audit logs under (vfs_full_audit.c's openlog). */
const AUDIT_TAG = 'smbd_audit';

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
export const MAX_LINE = 64 * 1024;

/** Directories remembered per reader to tell a directory's unlinkat from a file's (oldest forgotten first). */
const MAX_DIRS = 65_536;

export class AuditReader {
  private saidSkips = new Set<string>();
  private pendingTime: number | undefined;
  /** The last Samba log header named another source file than full_audit's: the lines to the next are Samba's own. */
  private pendingOther = false;
  /** Lines of Samba's own log between audit lines: not records, so not counted as rejected. */
  sambaLines = 0;
  /** Syslog messages of other programs (a socket used as /dev/log hears every one): not records either. */
  otherPrograms = 0;
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

  /** A syslog message: full_audit's when its tag is full_audit's own (or it has none). */
  framed(f: Framed, server: string): void {
    if (!f.tag || f.tag === AUDIT_TAG) return this.message(f.msg, f.time, server);
    if (this.otherPrograms++ === 0)
      this.target.report.warn(`${this.label}: messages of other programs than ${AUDIT_TAG} (here '${visible(f.tag)}') are skipped (they are not records)`);
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
    if (framed) return this.framed(framed, framed.host || server);
    const time = this.pendingTime ?? Date.now();
    this.pendingTime = undefined;
    this.message(text, time, server, this.pendingOther);
  }
}

/** One syslog datagram from `sender`: a message, framed (RFC 3164/5424) or bare. */
function datagram(reader: AuditReader, buf: Buffer, sender: string, serverNames: ReadonlyMap<string, string>): void {
  const text = buf.toString('utf8');
  const framed = unframeSyslog(text, Date.now());
  if (framed) reader.framed(framed, framed.host ? (serverNames.get(framed.host) ?? framed.host) : sender);
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

export function readStdin(reader: AuditReader, server: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    // skipOverflow (split2 has it; its types do not): an overlong line is dropped, not fatal.
    const options = { maxLength: MAX_LINE, skipOverflow: true };
    const lines = process.stdin.pipe(split2(options));
    lines.on('data', (l: string) => reader.line(l, server));
    lines.on('end', resolve);
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
