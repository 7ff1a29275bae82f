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

export const SMB_USER = 'smbtatest';
export const SMB_PASSWORD = 'smbta-Secret1';

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

export interface Samba {
  port: number;
  dir: string;
  /** smbd's log file, where full_audit writes. */
  log: string;
  sharePath(share: string): string;
  /** Runs smbclient commands (-c) on a share as the test user. */
  client(share: string, commands: string, cwd?: string): { code: number; stdout: string; stderr: string };
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

export async function startSamba(dir: string): Promise<Samba> {
  for (const d of ['run', 'lock', 'state', 'cache', 'private', 'ncalrpc', 'pool1', 'pool2']) mkdirSync(`${dir}/${d}`, { recursive: true });
  chmodSync(dir, 0o755); // the test user must reach the shares inside
  chmodSync(`${dir}/pool1`, 0o777);
  chmodSync(`${dir}/pool2`, 0o777);
  if (!have('id', [SMB_USER])) execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', SMB_USER]);
  const port = await freePort();
  const log = `${dir}/log.smbd`;
  const conf = `${dir}/smb.conf`;
  writeFileSync(
    conf,
    `[global]
  workgroup = WORKGROUP
  netbios name = SMBTATEST
  server role = standalone server
  smb ports = ${port}
  interfaces = 127.0.0.1
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
[pool1]
  path = ${dir}/pool1
  read only = no
  vfs objects = full_audit
  ${deployAuditLines().join('\n  ')}
  full_audit:syslog = false
[pool2]
  path = ${dir}/pool2
  read only = no
`,
  );
  execFileSync('smbpasswd', ['-c', conf, '-s', '-a', SMB_USER], { input: `${SMB_PASSWORD}\n${SMB_PASSWORD}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  // A session of its own (detached), so that the group smbd signals when it ends is not the test's.
  const smbd = track(
    spawn('smbd', ['--foreground', '--no-process-group', `--configfile=${conf}`], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }),
    true,
  );
  let err = '';
  smbd.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => smbd.on('exit', () => r()));
  try {
    await waitListening(port, 20000);
  } catch (e) {
    process.kill(-smbd.pid!, 'SIGKILL');
    throw new Error(`${(e as Error).message}\n${err}`, { cause: e });
  }
  return {
    port,
    dir,
    log,
    sharePath: (share) => `${dir}/${share}`,
    client(share, commands, cwd = dir) {
      const r = spawnSync('smbclient', [`//127.0.0.1/${share}`, '-p', String(port), '-U', `${SMB_USER}%${SMB_PASSWORD}`, '-c', commands], {
        cwd,
        encoding: 'utf8',
        timeout: 60000,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    async stop() {
      process.kill(-smbd.pid!, 'SIGTERM');
      await exited;
    },
  };
}
