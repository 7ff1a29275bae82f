/**
 * Samba's vfs_full_audit lines as records. A line is the configured prefix
 * (`full_audit:prefix`, fields separated by `|`), then the operation, `ok` or
 * `fail (reason)`, then the operation's arguments:
 *
 *     bob|127.0.0.1|vm|pool1|openat|ok|w|/srv/pool1/f3.bin
 *     bob|127.0.0.1|vm|pool1|renameat|ok|/srv/pool1/f3.bin|/srv/pool1/d2/f4.bin
 *
 * full_audit carries no byte counts: `bytes` stays 0. The mapping is in docs/audit.md.
 */
import { emptyRecord, type SmbRecord } from '../record/fields.js';
import { writeMode } from '../record/smb.js';
import { wordTable } from '../format/word-table.js';

/** Prefix variables smbta understands; others are allowed and skipped. */
const PREFIX_FIELDS = wordTable<'user' | 'client' | 'share' | 'domain' | 'machine' | 'server' | 'root'>({
  '%u': 'user',
  '%U': 'user',
  '%I': 'client',
  '%S': 'share',
  '%D': 'domain',
  '%m': 'machine',
  '%L': 'server',
  '%h': 'server',
  '%P': 'root',
});

export const DEFAULT_PREFIX = '%u|%I|%m|%S';

/** full_audit operation names (Samba 4.x, and the older ones) to record op ids. */
const OP_IDS = wordTable<number>({
  pread_send: 1,
  pread: 1,
  read: 0,
  pwrite_send: 3,
  pwrite: 3,
  write: 2,
  mkdirat: 4,
  mkdir: 4,
  unlinkat: 10,
  rmdir: 5,
  unlink: 10,
  renameat: 6,
  rename: 6,
  chdir: 7,
  openat: 8,
  open: 8,
  create_file: 8,
  close: 9,
});

/** The full_audit operation names smbta turns into records. */
export const MAPPED_OPERATIONS: readonly string[] = Object.keys(OP_IDS);

/** Operations that say nothing a traffic analyzer counts (their completions, lookups): skipped quietly. */
const QUIET =
  /^(pread_recv|pwrite_recv|fstat|stat|lstat|fstatat|realpath|connectpath|get_nt_acl.*|fget_nt_acl|fgetxattr|getxattrat.*|readdir_attr|file_id_create|fs_file_id|fcntl.*|brl_.*|strict_lock.*|get_dos_attributes.*|fget_dos_attributes|fntimes|sys_acl.*|durable_.*|offload_.*|parent_pathname|readlinkat|freaddir_attr|openat_?how|linux_setlease|kernel_flock|fs_capabilities|statvfs|disk_free|get_quota|get_shadow_copy_data|snap_.*|connect|disconnect|streaminfo|fstreaminfo|fdopendir|readdir|rewind_dir|closedir|opendir|translate_name|fsctl|get_compression|audit_file|lseek|fsync.*|sendfile|recvfile|ftruncate|fallocate|fchmod|fchown|lchown|fset_nt_acl|fsetxattr|fremovexattr|flistxattr|getwd|chflags|fset_dos_attributes)$/;

export function parsePrefix(spec: string): string[] {
  return spec.split('|').map((f) => f.trim());
}

export function prefixError(spec: string): string | undefined {
  const fields = parsePrefix(spec);
  if (!fields.includes('%u') && !fields.includes('%U')) return `--audit-prefix ${spec}: must contain %u (the user)`;
  return fields.find((f) => !/^%[A-Za-z$()]+$/.test(f) && f !== '')
    ? `--audit-prefix ${spec}: fields are Samba variables such as %u, %I, %m, %S, %D, separated by |`
    : undefined;
}

/**
 * What a line gave: a record (and, for create_file, whether it opened a directory), a line to
 * skip quietly, or why it is not a full_audit line.
 */
export type AuditResult = { record: SmbRecord; dir?: boolean } | { skip: string } | { error: string };

/**
 * Parses the message part of one line (framing removed) recorded at `time` by `server`.
 * Unknown operations are skipped with their name, so a reader can say once what it left out.
 */
export function parseAuditLine(msg: string, prefix: readonly string[], time: number, server: string): AuditResult {
  const parts = msg.replace(/\r?\n$/, '').split('|');
  if (parts.length < prefix.length + 2) return { error: `expected ${prefix.length} prefix fields, an operation and a status: '${clip(msg)}'` };
  const r: SmbRecord = { ...emptyRecord(), time, end: time, server };
  let root = '';
  prefix.forEach((field, k) => {
    const target = PREFIX_FIELDS[field];
    if (target === 'user' || target === 'client' || target === 'share' || target === 'domain' || target === 'server') r[target] = parts[k]!.trim();
    else if (target === 'root') root = parts[k]!.trim().replace(/\/+$/, '');
  });
  const opName = parts[prefix.length]!.trim();
  const status = parts[prefix.length + 1]!.trim();
  const args = parts.slice(prefix.length + 2);
  if (status !== 'ok' && !/^fail\b/.test(status)) return { error: `status '${clip(status)}' is neither ok nor fail (is --audit-prefix right?)` };
  const op = OP_IDS[opName];
  if (op === undefined) return { skip: opName };
  r.op = op;
  r.result = status === 'ok' ? 0 : -1;
  // Open modes come first (openat: r or w; create_file: access mask, file or dir, disposition);
  // the path is the rest, `|` in names included.
  let dir: boolean | undefined;
  if (opName === 'create_file' && /^0x[0-9a-f]+$/i.test(args[0] ?? '') && args.length >= 4) {
    const [mask, kind] = args.splice(0, 3);
    r.mode = writeMode(Number(mask));
    dir = kind === 'dir';
  } else if (op === 8 && (args[0] === 'r' || args[0] === 'w')) r.mode = args.shift() === 'w' ? 1 : 0;
  // Samba writes `chdir|ok|chdir|/srv/share`: the operation's name again before the path.
  else if (opName === 'chdir' && args[0] === 'chdir' && args.length > 1) args.shift();
  const rest = args.join('|');
  if (op === 6) {
    const cut = renameCut(rest);
    r.path = shareRelative(cut > 0 ? rest.slice(0, cut) : rest, root);
    r.path2 = shareRelative(cut > 0 ? rest.slice(cut + 1) : '', root);
  } else r.path = shareRelative(rest, root);
  if (op === 4) dir = true;
  if (!r.user) return { error: `no user in '${clip(msg)}' (is --audit-prefix right?)` };
  return dir === undefined ? { record: r } : { record: r, dir };
}

/**
 * Where a rename's two absolute paths meet: at a `|/` whose second part shares the longest
 * beginning with the first (the share's directory), so a `|` that ends a directory name in
 * the source is not taken for the separator. -1 when there is no second path.
 */
function renameCut(rest: string): number {
  let best = -1;
  let bestShared = -1;
  for (let at = rest.indexOf('|/', 1); at > 0; at = rest.indexOf('|/', at + 1)) {
    let k = 0;
    while (k < at && rest[k] === rest[at + 1 + k]) k++;
    if (k > bestShared) [best, bestShared] = [at, k];
  }
  return best;
}

/** A path under the share's directory (`%P` in the prefix) made relative to it, as the module sent it. */
function shareRelative(path: string, root: string): string {
  if (!root || !path.startsWith(root)) return path;
  if (path.length === root.length) return '.';
  return path[root.length] === '/' ? path.slice(root.length + 1) : path;
}

export function isQuiet(op: string): boolean {
  return QUIET.test(op);
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
