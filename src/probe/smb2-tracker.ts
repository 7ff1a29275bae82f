/**
 * Turns SMB2 PDUs into records: a request is held until its response, which gives the
 * result and the latency; file ids are followed from CREATE to CLOSE so that reads,
 * writes, renames and deletes name their file. Sessions and trees are remembered here
 * too, so attribution survives tshark's periodic state resets (-M).
 *
 * Every table is bounded: a capture that starts mid-session, loses packets or floods
 * with requests that are never answered evicts the oldest entries, and says so in stats.
 */
import { emptyRecord, type SmbRecord } from '../record/fields.js';
import { shareOf, writeMode } from '../record/smb.js';
import { Cmd, type Smb2Pdu } from './smb2-pdu.js';

export interface ProbeStats {
  pdus: number;
  records: number;
  /** SMB3-encrypted messages, written as `encrypted` records of their session's user... */
  encryptedMessages: number;
  encryptedBytes: number;
  /** ...which is unknown for these: the session setup was not seen. */
  encryptedUnattributed: number;
  /** Records whose session began before the capture: no user is known. */
  unattributedRecords: number;
  unattributedBytes: number;
  /** Responses whose request was not seen (capture began in between, lost, or evicted)... */
  unmatchedResponses: number;
  /** ...and the bytes their reads and writes moved, written with no file. */
  unmatchedBytes: number;
  /** Requests never answered (their response lost, or the capture ended first)... */
  unanswered: number;
  /** ...and the bytes their writes carried and their reads asked for: not known to have moved. */
  unansweredBytes: number;
  /** Requests, files or connections forgotten to stay within the tables' bounds. */
  evicted: number;
}

interface OpenFile {
  path: string;
  isDir: boolean;
  deleteOnClose: boolean;
}

interface Connection {
  pending: Map<string, Smb2Pdu>;
  files: Map<string, OpenFile>;
}

export interface TrackerLimits {
  connections: number;
  pendingPerConnection: number;
  filesPerConnection: number;
}

const DEFAULT_LIMITS: TrackerLimits = { connections: 65536, pendingPerConnection: 8192, filesPerConnection: 65536 };
/** A request unanswered this long (capture time) is taken as never answered. */
const UNANSWERED_MS = 120_000;
const STATUS_PENDING = 0x103;
const FILE_CREATED = 2;
const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const FILE_DELETE_ON_CLOSE = 0x1000;
const INFO_RENAME = 0x0a;
const INFO_DISPOSITION = 0x0d;
const INFO_DISPOSITION_EX = 0x40;
const FSCTL_SRV_REQUEST_RESUME_KEY = 0x00140078;
const FSCTL_SRV_COPYCHUNK = 0x001440f2;
const FSCTL_SRV_COPYCHUNK_WRITE = 0x001480f2;
const HELD_FSCTLS = new Set([FSCTL_SRV_REQUEST_RESUME_KEY, FSCTL_SRV_COPYCHUNK, FSCTL_SRV_COPYCHUNK_WRITE]);
const HELD_CMDS = new Set<number>([Cmd.Create, Cmd.Close, Cmd.Read, Cmd.Write, Cmd.SetInfo, Cmd.TreeConnect]);
const OP = { read: 0, write: 2, mkdir: 4, rmdir: 5, rename: 6, chdir: 7, open: 8, close: 9, delete: 10, copy: 11, encrypted: 12 } as const;

export class Smb2Tracker {
  readonly stats: ProbeStats = {
    pdus: 0,
    records: 0,
    encryptedMessages: 0,
    encryptedBytes: 0,
    encryptedUnattributed: 0,
    unattributedRecords: 0,
    unattributedBytes: 0,
    unmatchedResponses: 0,
    unmatchedBytes: 0,
    unanswered: 0,
    unansweredBytes: 0,
    evicted: 0,
  };
  private readonly connections = new Map<string, Connection>();
  private readonly sessions = new Map<string, { user: string; domain: string }>();
  private readonly trees = new Map<string, string>();
  /** Resume keys a server handed out: the file (share/path) a copychunk request copies from. */
  private readonly resumeKeys = new Map<string, { share: string; path: string }>();
  private readonly limits: TrackerLimits;
  private swept = -Infinity;

  constructor(
    private readonly emit: (r: SmbRecord) => void,
    private readonly serverName: (addr: string) => string = (a) => a,
    limits: Partial<TrackerLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  pdu(p: Smb2Pdu): void {
    this.stats.pdus++;
    if (p.time - this.swept >= UNANSWERED_MS / 4) this.sweep(p.time - UNANSWERED_MS);
    if (p.encrypted) return this.encrypted(p);
    // Learnt once per session and tree, not at every PDU that repeats them.
    if (p.acct && !this.sessions.has(p.sesid)) this.remember(this.sessions, p.sesid, { user: p.acct, domain: p.domain }, this.limits.connections);
    if (p.tree && p.tid) {
      const tree = `${p.sesid}|${p.tid}`;
      if (!this.trees.has(tree)) this.remember(this.trees, tree, p.tree, this.limits.connections);
    }
    const conn = this.connection(p);
    if (!p.response) {
      if (HELD_CMDS.has(p.cmd) || (p.cmd === Cmd.Ioctl && HELD_FSCTLS.has(p.ioctlFunction)))
        this.remember(conn.pending, p.msgId, p, this.limits.pendingPerConnection);
      return;
    }
    if (p.status === STATUS_PENDING) return; // an interim answer: the real one follows
    const req = conn.pending.get(p.msgId);
    conn.pending.delete(p.msgId);
    if (!req && p.cmd !== Cmd.Read && p.cmd !== Cmd.Write) return;
    if (!req) this.stats.unmatchedResponses++;
    const before = this.stats.records;
    this.answer(conn, req ?? p, p);
    if (!req && this.stats.records > before) this.stats.unmatchedBytes += p.cmd === Cmd.Read ? p.dataLength : p.writeCount;
  }

  /** The capture ended: every request still waiting was never answered. */
  finish(): void {
    this.sweep(Infinity);
  }

  /** Counts requests older than `before` (capture time) as never answered, and forgets them. */
  private sweep(before: number): void {
    this.swept = before === Infinity ? this.swept : before + UNANSWERED_MS;
    for (const conn of this.connections.values())
      for (const [id, req] of conn.pending) {
        if (req.time >= before) continue;
        conn.pending.delete(id);
        this.stats.unanswered++;
        this.stats.unansweredBytes += req.cmd === Cmd.Write ? req.writeLength : req.cmd === Cmd.Read ? req.readLength : 0;
      }
  }

  /** An encrypted message: its size, for its session's user where the session setup was seen. */
  private encrypted(p: Smb2Pdu): void {
    this.stats.encryptedMessages++;
    this.stats.encryptedBytes += p.size;
    const who = this.sessions.get(p.sesid);
    if (!who) this.stats.encryptedUnattributed++;
    const toServer =
      this.connections.has(`${p.src}|${p.sport}|${p.dst}|${p.dport}`) ||
      (!this.connections.has(`${p.dst}|${p.dport}|${p.src}|${p.sport}`) && p.dport < p.sport);
    const time = Math.floor(p.time);
    this.out({
      ...emptyRecord(),
      time,
      end: time,
      op: OP.encrypted,
      user: who?.user ?? '',
      domain: who?.domain ?? '',
      client: toServer ? p.src : p.dst,
      server: this.serverName(toServer ? p.dst : p.src),
      bytes: p.size,
      mode: toServer ? 1 : 0,
    });
  }

  /** A request's answer: what it did, and the records that says. */
  private answer(conn: Connection, req: Smb2Pdu, res: Smb2Pdu): void {
    const ok = res.status === 0;
    const share = shareOf(req.tree || res.tree || (this.trees.get(`${req.sesid}|${req.tid}`) ?? ''));
    if (share.toUpperCase() === 'IPC$') return; // named pipes (RPC), not files
    const file = conn.files.get(req.fid);
    const base = (op: number, path: string): SmbRecord => {
      const who = this.sessions.get(req.sesid);
      return {
        ...emptyRecord(),
        time: Math.floor(req.time),
        end: Math.floor(req.time),
        op,
        user: who?.user ?? '',
        domain: who?.domain ?? '',
        share,
        path,
        client: req.response ? res.dst : req.src,
        server: this.serverName(req.response ? res.src : req.dst),
        result: ok ? 0 : -1,
        latency: res.latency,
        latency_max: res.latency,
      };
    };
    switch (req.cmd) {
      case Cmd.TreeConnect:
        return this.out(base(OP.chdir, '.'));
      case Cmd.Create: {
        const path = smbPath(req.filename);
        const isDir = (res.attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0;
        if (ok && res.fid)
          this.remember(conn.files, res.fid, { path, isDir, deleteOnClose: (req.createOptions & FILE_DELETE_ON_CLOSE) !== 0 }, this.limits.filesPerConnection);
        const r = base(ok && isDir && res.createAction === FILE_CREATED ? OP.mkdir : OP.open, path);
        r.mode = writeMode(req.accessMask);
        return this.out(r);
      }
      case Cmd.Close: {
        conn.files.delete(req.fid);
        this.out(base(OP.close, file?.path ?? ''));
        // Delete-on-close (or a disposition set) removes what was open at its close: a directory or a file.
        if (ok && file?.deleteOnClose) this.out(base(file.isDir ? OP.rmdir : OP.delete, file.path));
        return;
      }
      case Cmd.Read:
      case Cmd.Write: {
        const r = base(req.cmd === Cmd.Read ? OP.read : OP.write, file?.path ?? '');
        r.bytes = !ok ? 0 : req.cmd === Cmd.Read ? res.dataLength : res.writeCount || req.writeLength;
        return this.out(r);
      }
      case Cmd.SetInfo: {
        if (req.infolevel === INFO_RENAME) {
          const r = base(OP.rename, file?.path ?? '');
          r.path2 = smbPath(req.filename);
          if (ok && file) file.path = r.path2;
          return this.out(r);
        }
        if (ok && file && (req.infolevel === INFO_DISPOSITION || req.infolevel === INFO_DISPOSITION_EX)) file.deleteOnClose = req.deletePending;
        return;
      }
      case Cmd.Ioctl:
        return this.fsctl(req, res, share, file, base);
    }
  }

  /**
   * Server-side copy: the client asks for a resume key on the source file, then sends it
   * with the target's handle in COPYCHUNK requests; each answer says the bytes copied.
   */
  private fsctl(req: Smb2Pdu, res: Smb2Pdu, share: string, file: OpenFile | undefined, base: (op: number, path: string) => SmbRecord): void {
    if (req.ioctlFunction === FSCTL_SRV_REQUEST_RESUME_KEY) {
      if (res.status === 0 && res.resumeKey && file) this.remember(this.resumeKeys, res.resumeKey, { share, path: file.path }, this.limits.connections);
      return;
    }
    const source = this.resumeKeys.get(req.resumeKey);
    // A source on another share of the server is named with its share: //share/path.
    const r = base(OP.copy, !source ? '' : source.share === share ? source.path : `//${source.share}/${source.path}`);
    r.path2 = file?.path ?? '';
    r.bytes = res.status === 0 ? res.copyTotal : 0;
    this.out(r);
  }

  private out(r: SmbRecord): void {
    this.stats.records++;
    if (!r.user) {
      this.stats.unattributedRecords++;
      this.stats.unattributedBytes += r.bytes;
    }
    this.emit(r);
  }

  private connection(p: Smb2Pdu): Connection {
    const key = p.response ? `${p.dst}|${p.dport}|${p.src}|${p.sport}` : `${p.src}|${p.sport}|${p.dst}|${p.dport}`;
    let c = this.connections.get(key);
    if (!c) {
      c = { pending: new Map(), files: new Map() };
      this.remember(this.connections, key, c, this.limits.connections);
    }
    return c;
  }

  /** Sets a key in a bounded map, forgetting the oldest entry when it is full. */
  private remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
    if (!map.has(key) && map.size >= limit) {
      map.delete(map.keys().next().value!);
      this.stats.evicted++;
    }
    map.set(key, value);
  }
}

/** An SMB path (`d1\f1.bin`, relative to the share) in the records' form: `d1/f1.bin`, `.` for the root. */
function smbPath(name: string): string {
  const p = name.replace(/\\/g, '/').replace(/^\/+/, '');
  return p || '.';
}
