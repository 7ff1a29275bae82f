/**
 * The one record type every smbta program reads and writes, and the table of its fields.
 * Raw operations and merged ones share this shape, so every tool reads every tool's output.
 */

/**
 * Operation names, indexed by the numeric id Samba's module sends (wire ids 0-9); `delete`
 * (10, a file removed) comes from full_audit and the probe, `copy` (11, a server-side copy)
 * and `encrypted` (12, an SMB3-encrypted message's size) from the probe. A reader that
 * predates an id prints it as op<N> and drops nothing.
 */
export const OPS = ['read', 'pread', 'write', 'pwrite', 'mkdir', 'rmdir', 'rename', 'chdir', 'open', 'close', 'delete', 'copy', 'encrypted'] as const;
export type OpName = (typeof OPS)[number];

/** Name of an op id; ids a newer source adds print as `op<N>` rather than being dropped. */
export function opName(id: number): string {
  return OPS[id] ?? `op${id}`;
}

/** Ops that read (read, pread) and write (write, pwrite): where `bytes` counts data moved. */
export const READ_OPS: readonly number[] = [0, 1];
export const WRITE_OPS: readonly number[] = [2, 3];

export function isReadOp(op: number): boolean {
  return op === 0 || op === 1;
}

export function isWriteOp(op: number): boolean {
  return op === 2 || op === 3;
}

/** Numeric id of an op name (`op12` accepted for ids this build has no name for), or -1. */
export function opId(name: string): number {
  const i = (OPS as readonly string[]).indexOf(name);
  if (i >= 0) return i;
  const m = /^op(\d{1,15})$/.exec(name);
  return m ? Number(m[1]) : -1;
}

/**
 * How a field's values are typed: `time` (ms since epoch, UTC), `op` (enum),
 * `string`, `uint` (integer >= 0 up to 2^53) or `int` (signed; -1 stays -1).
 */
export type FieldKind = 'time' | 'op' | 'string' | 'uint' | 'int';

export interface FieldDef {
  readonly name: FieldName;
  readonly kind: FieldKind;
  readonly describe: string;
}

export interface SmbRecord {
  time: number;
  end: number;
  op: number;
  user: string;
  sid: string;
  domain: string;
  share: string;
  path: string;
  path2: string;
  client: string;
  server: string;
  bytes: number;
  count: number;
  mode: number;
  result: number;
  latency: number;
  latency_max: number;
}

export type FieldName = keyof SmbRecord;
export type StringFieldName = 'user' | 'sid' | 'domain' | 'share' | 'path' | 'path2' | 'client' | 'server';
export type NumberFieldName = Exclude<FieldName, StringFieldName>;

/** Every field, in canonical order (the order of CSV/JSON output and of `-s all`). */
export const FIELDS: readonly FieldDef[] = [
  { name: 'time', kind: 'time', describe: 'start of the operation (merged: of the first one), UTC' },
  { name: 'end', kind: 'time', describe: 'last operation merged in (= time for a raw one)' },
  { name: 'op', kind: 'op', describe: OPS.join(', ') },
  { name: 'user', kind: 'string', describe: 'user name' },
  { name: 'sid', kind: 'string', describe: "user's SID" },
  { name: 'domain', kind: 'string', describe: "user's domain" },
  { name: 'share', kind: 'string', describe: 'share (service) name' },
  { name: 'path', kind: 'string', describe: 'file or directory, relative to the share' },
  { name: 'path2', kind: 'string', describe: 'rename target' },
  { name: 'client', kind: 'string', describe: "SMB client's address" },
  { name: 'server', kind: 'string', describe: 'file server (or probe) that reported it' },
  { name: 'bytes', kind: 'uint', describe: 'bytes moved (summed when merged)' },
  { name: 'count', kind: 'uint', describe: 'operations this record stands for (1 when raw)' },
  { name: 'mode', kind: 'int', describe: 'mode as sent (mkdir, open); -1 when the sender said 4294967295' },
  { name: 'result', kind: 'int', describe: 'result as sent; -1 when the sender said 4294967295' },
  { name: 'latency', kind: 'uint', describe: 'request-to-response time in µs, 0 when unknown (summed when merged)' },
  { name: 'latency_max', kind: 'uint', describe: 'largest latency merged in, µs' },
];

export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((f) => f.name);

const BY_NAME = new Map<string, FieldDef>(FIELDS.map((f) => [f.name, f]));

export function fieldDef(name: string): FieldDef | undefined {
  return BY_NAME.get(name);
}

/** A record with every field at its neutral value: what a missing column decodes to. */
export function emptyRecord(): SmbRecord {
  return {
    time: 0,
    end: 0,
    op: 0,
    user: '',
    sid: '',
    domain: '',
    share: '',
    path: '',
    path2: '',
    client: '',
    server: '',
    bytes: 0,
    count: 1,
    mode: 0,
    result: 0,
    latency: 0,
    latency_max: 0,
  };
}

/** The text fields of a record. */
export const STRING_FIELDS: readonly StringFieldName[] = ['user', 'sid', 'domain', 'share', 'path', 'path2', 'client', 'server'];

/**
 * What text fields may hold: anything but NUL, which no file name, user or share can contain
 * and PostgreSQL cannot store. A NUL (from a broken or hostile sender) becomes U+FFFD, so the
 * record is kept and every store takes it; returns whether one was replaced, for the count.
 */
export function replaceNul(r: SmbRecord): boolean {
  let replaced = false;
  for (const f of STRING_FIELDS) {
    if (r[f].includes('\0')) {
      r[f] = r[f].replaceAll('\0', '\uFFFD');
      replaced = true;
    }
  }
  return replaced;
}
