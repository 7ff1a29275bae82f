/**
 * A real smbd (Debian's samba package) of the test's own: a loopback high port, every
 * directory under the test's temporary one, a test user, full_audit on the first share
 * configured with the lines docs/deploy.md gives (written to smbd's log file instead of
 * syslog), and a second share without it. Driven with the real smbclient.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { track } from './children.js';
import { freePort } from './ports.js';
import { toolMissing } from './tools.js';
import { ROOT } from './run-bin.js';
import { waitUntil } from './wait.js';
import type { Proc } from './proc.js';

export const SMB_USER = 'smbtatest';
export const SMB_PASSWORD = 'smbta-Secret1';
/** Every account the test smbd knows (all with SMB_PASSWORD): several users at once. */
export const SMB_USERS = [SMB_USER, 'smbtatest2', 'smbtatest3'] as const;

const have = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** Why the real-Samba tests cannot run here, or false when they can. */
export function sambaMissing(): string | false {
  const missing = toolMissing('smbd', 'samba') || toolMissing('smbclient');
  if (missing) return missing;
  return process.getuid?.() === 0 ? false : 'smbd needs root here, to switch to its test user';
}

export function tsharkMissing(): string | false {
  const missing = toolMissing('tshark');
  if (missing) return missing;
  // A one-second capture says whether this sandbox lets us capture at all.
  return have('tshark', ['-q', '-i', 'lo', '-a', 'duration:1']) ? false : 'capturing on the loopback interface is not allowed here (needs root or CAP_NET_RAW)';
}

export interface SambaOptions {
  /** A command prefix smbd and smbclient run under (nsenter into the test's network namespace). */
  wrap?: readonly string[];
  /** The port (default: a free high one). */
  port?: number;
  /** Lines added to [global] (max log size, ...). */
  global?: readonly string[];
  /** full_audit to syslog, where smbd's /dev/log (in a private mount namespace) is this socket. */
  devLog?: string;
  /** Also listen on ::1. */
  ipv6?: boolean;
  /** The full_audit lines of pool1, if not docs/deploy.md's. */
  auditLines?: readonly string[];
  /** More shares: name to their lines (a path under the test's directory is added). */
  shares?: Readonly<Record<string, readonly string[]>>;
}

export interface ClientOptions {
  user?: string;
  cwd?: string;
  /** More smbclient arguments (--client-protection=encrypt, -I ::1, -m SMB3_00). */
  args?: readonly string[];
  /**
   * Commands on stdin instead of -c, one per line, all at once: one session throughout, paced
   * by `!` shell lines (smbclient runs them in order, waiting) that wait for files the test makes.
   */
  stdin?: string;
}

export interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Samba {
  port: number;
  dir: string;
  /** smbd's log file, where full_audit writes. */
  log: string;
  conf: string;
  /** smbd's pid (the parent; its group holds the workers). */
  pid: number;
  sharePath(share: string): string;
  /** Runs smbclient commands (-c) on a share as the test user. */
  client(share: string, commands: string, cwd?: string): ClientRun;
  /** The same without blocking the test, so several users work at once. */
  clientAsync(share: string, commands: string, o?: ClientOptions): Promise<ClientRun>;
  stop(): Promise<void>;
}

/** The full_audit:success and :failure lines of docs/deploy.md, so the tests prove the docs. */
function deployAuditLines(): string[] {
  const doc = readFileSync(`${ROOT}docs/deploy.md`, 'utf8');
  return doc
    .split('\n')
    .filter((l) => /^\s*full_audit:(success|failure|prefix)\s*=/.test(l))
    .map((l) => l.trim());
}

async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const up = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`smbd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * Runs smbd in a private mount namespace whose /dev is a small tmpfs holding the host's
 * character devices and, as /dev/log, the given socket: glibc's syslog(3), which full_audit
 * calls, always writes to /dev/log. Nothing outside the namespace changes.
 */
const DEV_LOG_SCRIPT = `set -e
host="$2/hostdev"; mkdir -p "$host"
mount --bind /dev "$host"
mount -t tmpfs -o mode=755 smbta-dev /dev
for n in null zero full random urandom; do touch "/dev/$n"; mount --bind "$host/$n" "/dev/$n"; done
touch /dev/log; mount --bind "$1" /dev/log
shift 2; exec "$@"`;

export async function startSamba(dir: string, o: SambaOptions = {}): Promise<Samba> {
  const shares = { ...o.shares };
  for (const d of ['run', 'lock', 'state', 'cache', 'private', 'ncalrpc']) mkdirSync(`${dir}/${d}`, { recursive: true });
  chmodSync(dir, 0o755); // the test users must reach the shares inside
  for (const s of ['pool1', 'pool2', ...Object.keys(shares)]) {
    mkdirSync(`${dir}/${s}`, { recursive: true });
    chmodSync(`${dir}/${s}`, 0o777);
  }
  for (const u of SMB_USERS) if (!have('id', [u])) execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', u]);
  const port = o.port ?? (await freePort());
  const log = `${dir}/log.smbd`;
  const conf = `${dir}/smb.conf`;
  writeFileSync(
    conf,
    `[global]
  workgroup = WORKGROUP
  netbios name = SMBTATEST
  server role = standalone server
  smb ports = ${port}
  interfaces = 127.0.0.1${o.ipv6 ? ' ::1' : ''}
  bind interfaces only = yes
  disable netbios = yes
  pid directory = ${dir}/run
  lock directory = ${dir}/lock
  state directory = ${dir}/state
  cache directory = ${dir}/cache
  private dir = ${dir}/private
  binddns dir = ${dir}/private
  ncalrpc dir = ${dir}/ncalrpc
  log file = ${log}
  log level = 1 full_audit:2
  passdb backend = tdbsam:${dir}/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  server min protocol = SMB2_02
  ${(o.global ?? []).join('\n  ')}
[pool1]
  path = ${dir}/pool1
  read only = no
  vfs objects = full_audit
  ${(o.auditLines ?? deployAuditLines()).join('\n  ')}
  full_audit:syslog = ${o.devLog ? 'true' : 'false'}
[pool2]
  path = ${dir}/pool2
  read only = no
${Object.entries(shares)
  .map(([name, lines]) => `[${name}]\n  path = ${dir}/${name}\n  read only = no\n  ${lines.join('\n  ')}\n`)
  .join('')}`,
  );
  for (const u of SMB_USERS)
    execFileSync('smbpasswd', ['-c', conf, '-s', '-a', u], { input: `${SMB_PASSWORD}\n${SMB_PASSWORD}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  const wrap = o.wrap ?? [];
  const smbdArgs = ['smbd', '--foreground', '--no-process-group', `--configfile=${conf}`];
  const command = o.devLog ? ['unshare', '-m', '--propagation', 'private', 'sh', '-c', DEV_LOG_SCRIPT, 'sh', o.devLog, dir, ...smbdArgs] : smbdArgs;
  const [bin, ...args] = [...wrap, ...command];
  // A session of its own (detached), so that the group smbd signals when it ends is not the test's.
  const smbd = track(spawn(bin!, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true }), true);
  let err = '';
  smbd.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => smbd.on('exit', () => r()));
  try {
    // In a network namespace of the test's, smbd's listening is seen by its first client.
    if (!o.wrap) await waitListening(port, 20000);
    else {
      const probe = [...wrap.slice(1), 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`];
      await waitUntil('smbd to listen in the namespace', () => spawnSync(wrap[0]!, probe, { stdio: 'ignore', timeout: 5000 }).status === 0, 20000, 100);
    }
  } catch (e) {
    process.kill(-smbd.pid!, 'SIGKILL');
    throw new Error(`${(e as Error).message}\n${err}`, { cause: e });
  }
  const clientArgs = (share: string, commands: string, c: ClientOptions): string[] => [
    ...wrap,
    'smbclient',
    `//127.0.0.1/${share}`,
    '-p',
    String(port),
    '-U',
    `${c.user ?? SMB_USER}%${SMB_PASSWORD}`,
    ...(c.args ?? []),
    ...(c.stdin === undefined ? ['-c', commands] : []),
  ];
  return {
    port,
    dir,
    log,
    conf,
    pid: smbd.pid!,
    sharePath: (share) => `${dir}/${share}`,
    client(share, commands, cwd = dir) {
      const [cmd, ...rest] = clientArgs(share, commands, {});
      const r = spawnSync(cmd!, rest, { cwd, encoding: 'utf8', timeout: 60000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    clientAsync(share, commands, c = {}) {
      const [cmd, ...rest] = clientArgs(share, commands, c);
      const child = track(spawn(cmd!, rest, { cwd: c.cwd ?? dir, stdio: [c.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }));
      // Written whole and closed: smbclient waits on stdin only while it is open.
      if (c.stdin !== undefined) child.stdin!.end(c.stdin);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
    },
    async stop() {
      process.kill(-smbd.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/**
 * Waits until a live smbta-probe really sees the server's traffic: dumpcap says "Capturing on"
 * a moment before packets flow, and a session begun in between would be unattributed. A
 * connect to IPC$ (which gives no records) is made until the probe counts PDUs (its SIGUSR1
 * statistics).
 */
export async function captureReady(probe: Proc, samba: Samba): Promise<void> {
  await probe.waitFor(/Capturing on/);
  const pdus = (): number => Number([...probe.stderr().matchAll(/(\d+) SMB2 PDUs/g)].at(-1)?.[1] ?? 0);
  await waitUntil(
    'the capture to see SMB2 traffic',
    async () => {
      await samba.clientAsync('IPC$', 'exit');
      const before = probe.stderr().length;
      probe.proc.kill('SIGUSR1');
      await waitUntil('statistics on SIGUSR1', () => probe.stderr().length > before && /SMB2 PDUs.*\n/.test(probe.stderr().slice(before)), 5000, 10);
      return pdus() > 0;
    },
    20000,
    100,
  );
}
