/**
 * smbta-torture against a real server, as SMBTA's torture tool drove Samba: it creates a
 * seeded file set on two shares and copies files between them through the real smbclient,
 * pausing between copies, and keeps the ledger of what it moved: every put is a write and
 * every get a read, per op, per user and per file (`share/path`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shareOf } from '../record/smb.js';
import { createRandom } from '../synth/traffic.js';
import { addTally, createLedger, type Ledger } from './ledger.js';

export interface SmbRunOptions {
  /** Two (or more) shares as //HOST/SHARE. */
  shares: readonly string[];
  port: number;
  /** USER or DOMAIN\USER; the password travels in smbclient's environment, not its arguments. */
  user: string;
  password: string;
  files: number;
  copies: number;
  pauseMs: number;
  seed: number;
  signal: AbortSignal;
}

export type SmbLedger = Ledger & { files: Ledger['ops'] };

/** File sizes of the set: mostly small, a few large, as file servers hold. */
function sizeOf(rnd: () => number): number {
  return rnd() < 0.8 ? 1 + Math.floor(rnd() * 64 * 1024) : 64 * 1024 + Math.floor(rnd() * 4 * 1024 * 1024);
}

export async function runSmbTorture(o: SmbRunOptions): Promise<SmbLedger> {
  const rnd = createRandom(o.seed);
  const dir = `smbta-torture-${o.seed}`;
  const work = mkdtempSync(join(tmpdir(), 'smbta-torture-'));
  const ledger: SmbLedger = { ...createLedger(), files: {} };
  const user = o.user.slice(o.user.lastIndexOf('\\') + 1);
  const moved = (op: 'read' | 'write', share: string, name: string, bytes: number): void => {
    ledger.records++;
    ledger.bytes += bytes;
    addTally(ledger.ops, op, 1, bytes);
    addTally(ledger.users, user, 1, bytes);
    addTally(ledger.files, `${shareOf(share)}/${dir}/${name}`, 1, bytes);
  };
  const client = (share: string, commands: string[]): Promise<void> => smbclient(share, o, commands, work, o.signal);
  try {
    const sizes = Array.from({ length: o.files }, () => sizeOf(rnd));
    sizes.forEach((n, k) => writeFileSync(join(work, `f${k}.bin`), Buffer.alloc(n, k & 0xff)));
    for (const share of o.shares) {
      // The set's directory may be there from an earlier run with this seed.
      await smbclient(share, o, [`mkdir ${dir}`], work, o.signal, /NT_STATUS_OBJECT_NAME_COLLISION/);
      await client(share, [`cd ${dir}`, ...sizes.map((_, k) => `put f${k}.bin`)]);
      sizes.forEach((n, k) => moved('write', share, `f${k}.bin`, n));
    }
    for (let i = 0; i < o.copies && !o.signal.aborted; i++) {
      const k = Math.floor(rnd() * o.files);
      const from = o.shares[Math.floor(rnd() * o.shares.length)]!;
      const to = o.shares.filter((s) => s !== from)[Math.floor(rnd() * (o.shares.length - 1))] ?? from;
      await client(from, [`cd ${dir}`, `get f${k}.bin c${i}.bin`]);
      moved('read', from, `f${k}.bin`, sizes[k]!);
      await client(to, [`cd ${dir}`, `put c${i}.bin`]);
      moved('write', to, `c${i}.bin`, sizes[k]!);
      if (o.pauseMs > 0) await pause(o.pauseMs, o.signal);
    }
    return ledger;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs one smbclient session; fails with what smbclient said when a command failed. */
function smbclient(share: string, o: SmbRunOptions, commands: string[], cwd: string, signal: AbortSignal, harmless?: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [share, '-p', String(o.port), '-U', o.user, '-c', commands.join('; ')];
    const child = spawn('smbclient', args, { cwd, env: { ...process.env, PASSWD: o.password }, stdio: ['ignore', 'pipe', 'pipe'], signal });
    let said = '';
    child.stdout.on('data', (d: Buffer) => (said += d.toString()));
    child.stderr.on('data', (d: Buffer) => (said += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'ENOENT' ? "smbclient not found: --smb needs Samba's smbclient (apt-get install smbclient)" : `smbclient: ${err.message}`)),
    );
    child.on('close', (code) => {
      // smbclient -c goes on after a failed command; NT_STATUS_ in its output says one failed.
      const failure = /NT_STATUS_\w+[^\n]*/.exec(said);
      if ((code === 0 && !failure) || (failure && harmless?.test(failure[0]))) resolve();
      else reject(new Error(`smbclient ${share}: ${failure?.[0] ?? (said.trim().split('\n').pop() || `exit code ${code}`)}`));
    });
  });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
