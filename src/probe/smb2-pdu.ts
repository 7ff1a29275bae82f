/**
 * One SMB2 PDU as the probe's Lua script prints it (src/probe/smb2-pdus.lua): a
 * tab-separated line with the frame's time and addresses, then the PDU's own fields.
 */

export interface Smb2Pdu {
  /** Frame time, ms since the epoch (µs kept as a fraction). */
  time: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** An encrypted message (SMB3 transform header): only its size is known. */
  encrypted: boolean;
  /** Encrypted: the message size; otherwise 0. */
  size: number;
  cmd: number;
  response: boolean;
  msgId: string;
  sesid: string;
  /** NT status of a response (0 success). */
  status: number;
  /** Request-to-response time of a response, µs; 0 when unknown. */
  latency: number;
  acct: string;
  domain: string;
  tree: string;
  filename: string;
  fid: string;
  readLength: number;
  writeLength: number;
  writeCount: number;
  dataLength: number;
  createAction: number;
  infolevel: number;
  deletePending: boolean;
  createOptions: number;
  accessMask: number;
  attributes: number;
  tid: string;
  /** IOCTL: the FSCTL code. */
  ioctlFunction: number;
  /** FSCTL_SRV_REQUEST_RESUME_KEY's answer, and the source a copychunk request names. */
  resumeKey: string;
  /** A copychunk response: the bytes the server copied. */
  copyTotal: number;
}

/** SMB2 command codes the probe turns into records. */
export const Cmd = { TreeConnect: 3, Create: 5, Close: 6, Read: 8, Write: 9, Ioctl: 11, SetInfo: 17 } as const;

const HEAD = 6;
const PDU_COLUMNS = 25;

/** Parses one line; a line of the wrong shape is an error message, never a throw. */
export function parsePduLine(line: string): Smb2Pdu | { error: string } {
  const c = line.split('\t');
  const time = Number(c[0]) * 1000;
  const kind = c[5];
  const shapeOk = Number.isFinite(time) && ((kind === 'E' && c.length === HEAD + 2) || (kind === 'P' && c.length === HEAD + PDU_COLUMNS));
  if (!shapeOk) return { error: `not a PDU line from the probe's dissector script: '${line.length > 80 ? `${line.slice(0, 77)}...` : line}'` };
  const n = (k: number): number => {
    const v = Number(c[HEAD + k] || 0);
    return Number.isFinite(v) ? v : 0;
  };
  const s = (k: number): string => unescape(c[HEAD + k] ?? '');
  return {
    time,
    src: c[1]!,
    sport: Number(c[2]),
    dst: c[3]!,
    dport: Number(c[4]),
    encrypted: kind === 'E',
    size: kind === 'E' ? n(0) : 0,
    cmd: kind === 'E' ? -1 : n(0),
    response: kind !== 'E' && s(1) === '1',
    msgId: s(2),
    sesid: kind === 'E' ? s(1) : s(3),
    status: n(4),
    latency: Math.round(n(5) * 1e6),
    acct: s(6),
    domain: s(7),
    tree: s(8),
    filename: s(9),
    fid: s(10),
    readLength: n(11),
    writeLength: n(12),
    writeCount: n(13),
    dataLength: n(14),
    createAction: n(15),
    infolevel: n(16),
    deletePending: s(17) === '1',
    createOptions: n(18),
    accessMask: n(19),
    attributes: n(20),
    tid: s(21),
    ioctlFunction: n(22),
    resumeKey: s(23),
    copyTotal: n(24),
  };
}

/** Undoes the script's escapes of `\`, tab, CR and LF. */
function unescape(v: string): string {
  return v.includes('\\') ? v.replace(/\\([\\tnr])/g, (_, ch: string) => ({ t: '\t', n: '\n', r: '\r' })[ch] ?? '\\') : v;
}
