/**
 * Turns SMB2 PDUs into records: a request is held until its response, which gives the
 * result and the latency; file ids are followed from CREATE to CLOSE so that reads,
 * writes, renames and deletes name their file. Sessions and trees are remembered here
 * too, so attribution survives tshark's periodic state resets (-M).
 *
 * Every table is bounded: a capture that starts mid-session, loses packets or floods
 * with requests that are never answered evicts the oldest entries, and says so in stats.
 */
import type { SmbRecord } from '../record/fields.js';
import { shareOf, writeMode } from '../record/smb.js';
import { Cmd, type Smb2Pdu } from './smb2-pdu.js';

export interface ProbeStats {
  pdus: number;
  records: number;
  /** SMB3-encrypted messages: seen and counted, not attributable. */
  encryptedMessages: number;
  encryptedBytes: number;
  /** Records whose session began before the capture: no user is known. */
  unattributedRecords: number;
  unattributedBytes: number;
  /** Responses whose request was not seen (capture began in between, or it was evicted). */
  unmatchedResponses: number;
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
const STATUS_PENDING = 0x103;
const FILE_CREATED = 2;
const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const FILE_DELETE_ON_CLOSE = 0x1000;
const INFO_RENAME = 0x0a;
const INFO_DISPOSITION = 0x0d;
const INFO_DISPOSITION_EX = 0x40;
const OP = { read: 0, write: 2, mkdir: 4, rmdir: 5, rename: 6, chdir: 7, open: 8, close: 9, delete: 10 } as const;

export class Smb2Tracker {
  readonly stats: ProbeStats = {
    pdus: 0,
    records: 0,
    encryptedMessages: 0,
    encryptedBytes: 0,
    unattributedRecords: 0,
    unattributedBytes: 0,
    unmatchedResponses: 0,
    evicted: 0,
  };
  private readonly connections = new Map<string, Connection>();
  private readonly sessions = new Map<string, { user: string; domain: string }>();
  private readonly trees = new Map<string, string>();
  private readonly limits: TrackerLimits;

  constructor(
    private readonly emit: (r: SmbRecord) => void,
    private readonly serverName: (addr: string) => string = (a) => a,
    limits: Partial<TrackerLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  pdu(p: Smb2Pdu): void {
    this.stats.pdus++;
    if (p.encrypted) {
      this.stats.encryptedMessages++;
      this.stats.encryptedBytes += p.size;
      return;
    }
    // Learnt once per session and tree, not at every PDU that repeats them.
    if (p.acct && !this.sessions.has(p.sesid)) this.remember(this.sessions, p.sesid, { user: p.acct, domain: p.domain }, this.limits.connections);
    if (p.tree && p.tid) {
      const tree = `${p.sesid}|${p.tid}`;
      if (!this.trees.has(tree)) this.remember(this.trees, tree, p.tree, this.limits.connections);
    }
    const conn = this.connection(p);
    if (!p.response) {
      if (p.cmd === Cmd.Create || p.cmd === Cmd.Close || p.cmd === Cmd.Read || p.cmd === Cmd.Write || p.cmd === Cmd.SetInfo || p.cmd === Cmd.TreeConnect) {
        this.remember(conn.pending, p.msgId, p, this.limits.pendingPerConnection);
      }
      return;
    }
    if (p.status === STATUS_PENDING) return; // an interim answer: the real one follows
    const req = conn.pending.get(p.msgId);
    conn.pending.delete(p.msgId);
    if (!req && p.cmd !== Cmd.Read && p.cmd !== Cmd.Write) return;
    if (!req) this.stats.unmatchedResponses++;
    this.answer(conn, req ?? p, p);
  }

  /** A request's answer: what it did, and the records that says. */
  private answer(conn: Connection, req: Smb2Pdu, res: Smb2Pdu): void {
    const ok = res.status === 0;
    const share = shareOf(req.tree || res.tree || (this.trees.get(`${req.sesid}|${req.tid}`) ?? ''));
    if (share.toUpperCase() === 'IPC$') return; // named pipes (RPC), not files
    const file = conn.files.get(req.fid);
    const base = (op: number, path: string): SmbRecord => {
      const who = this.sessions.get(req.sesid);
      const time = Math.floor(req.time);
      return {
        time,
        end: time,
        op,
        user: who?.user ?? '',
        sid: '',
        domain: who?.domain ?? '',
        share,
        path,
        path2: '',
        client: req.response ? res.dst : req.src,
        server: this.serverName(req.response ? res.src : req.dst),
        bytes: 0,
        count: 1,
        mode: 0,
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
    }
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
