/**
 * npm run soak: sustained load through smbta-recv -> smbta-mux -> smbta-rotate and
 * smbta-db load, killing each component in turn with SIGKILL and starting it again, then
 * accounting for every record the sender sent. Each record names itself (`/soak/<seq>`),
 * so the archive and the database are checked record by record:
 *   - no record may be there twice (exactly once across restarts and crash recovery);
 *   - a missing record must fall in a kill's window (in flight in the killed process, or sent
 *     while it or its readers were reconnecting); the losses per kill are printed, and a
 *     record missing outside every window is a bug.
 * What it cannot show yet: that each lost record was counted by a component that said so.
 * A SIGKILLed process says nothing, and no stage hands records off durably.
 * Bounded: SMBTA_SOAK_SECONDS (default 120) of load at SMBTA_SOAK_RATE records/s (default
 * 2000); everything runs on 127.0.0.1 in a temporary directory that is removed at the end.
 * Exit status 0 when the account balances, 1 when it does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createLocalFormatter } from '../src/format/time.js';
import { emptyRecord } from '../src/record/fields.js';
import { encodeV2Message } from '../src/wire/encode.js';
import { freePort } from '../test/helpers/ports.js';
import { decodeAll } from '../test/helpers/stream.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.SMBTA_SOAK_SECONDS ?? 120);
const RATE = Number(process.env.SMBTA_SOAK_RATE ?? 2000);
const DOWN_MS = 1000;
// The sender stamps local time and the receiver reads it in its zone: one zone for both.
process.env.TZ = 'UTC';


interface Component {
  name: string;
  args: string[];
  child?: ChildProcess;
  kills: { at: number; from: number; to: number }[];
}

function start(c: Component, log: (m: string) => void): void {
  const child = spawn(process.execPath, [join(ROOT, 'bin', `${c.name.split(' ')[0]}.js`), ...c.args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
  child.stderr!.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => log(`  ${l}`)));
  c.child = child;
}

const stopped = (c: Component, signal: NodeJS.Signals): Promise<void> =>
  new Promise((resolve) => {
    if (!c.child || c.child.exitCode !== null) return resolve();
    c.child.once('exit', () => resolve());
    c.child.kill(signal);
  });

/** The soak's own sender: Samba's V2 protocol, one record per `seq`, reconnecting as the module would not. */
class Sender {
  seq = 0;
  private socket: Socket | undefined;
  private readonly stamp = createLocalFormatter();
  constructor(private readonly port: number) {}

  send(n: number): void {
    if (!this.socket || this.socket.destroyed) return this.connect();
    for (let k = 0; k < n; k++) {
      const r = { ...emptyRecord(), time: Date.now(), op: 3, user: 'soak', share: 'soak', path: `/soak/${this.seq}`, client: '127.0.0.1', bytes: 1 };
      r.end = r.time;
      this.socket.write(encodeV2Message(r, this.stamp));
      this.seq++;
    }
  }

  private connect(): void {
    const s = connect(this.port, '127.0.0.1');
    s.on('error', () => s.destroy());
    this.socket = s;
  }

  close(): void {
    this.socket?.end();
  }
}

function seqsOf(data: Buffer, into: Map<number, number>): void {
  for (const r of decodeAll(data).records) {
    const m = /^\/soak\/(\d+)$/.exec(r.path);
    if (m) into.set(Number(m[1]), (into.get(Number(m[1])) ?? 0) + 1);
  }
}

/** `3-7, 12` for [3, 4, 5, 6, 7, 12]. */
function ranges(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    out.push(i === j ? String(seqs[i]) : `${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  return out.slice(0, 12).join(', ') + (out.length > 12 ? ', ...' : '');
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'smbta-soak-'));
  mkdirSync(join(dir, 'archive'));
  const [samba, readers, hub] = [await freePort(), await freePort(), await freePort()];
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const recv: Component = { name: 'smbta-recv', args: ['-i', String(samba), '-P', String(readers), '--status-every', '2'], kills: [] };
  const mux: Component = { name: 'smbta-mux', args: ['-S', `127.0.0.1:${readers}`, '-P', String(hub)], kills: [] };
  const rotate: Component = { name: 'smbta-rotate', args: ['-S', `127.0.0.1:${hub}`, '-M', 'count', '20000', '-w', join(dir, 'archive', 'soak.smbta')], kills: [] };
  const db: Component = { name: 'smbta-db load', args: ['load', '-S', `127.0.0.1:${hub}`, '--db', join(dir, 'soak.db'), '--batch-records', '2000'], kills: [] };
  const all = [recv, mux, rotate, db];
  try {
    for (const c of all) start(c, log);
    await new Promise((r) => setTimeout(r, 1500));
    const sender = new Sender(samba);
    const began = Date.now();
    const ticker = setInterval(() => sender.send(Math.ceil(RATE / 20)), 50);
    const killEvery = (SECONDS * 1000) / (all.length + 1);
    for (let k = 0; k < all.length; k++) {
      await new Promise((r) => setTimeout(r, began + killEvery * (k + 1) - Date.now()));
      const c = all[k]!;
      const from = sender.seq;
      log(`soak: SIGKILL ${c.name} at record ${from}`);
      await stopped(c, 'SIGKILL');
      await new Promise((r) => setTimeout(r, DOWN_MS));
      start(c, log);
      c.kills.push({ at: Date.now() - began, from, to: sender.seq });
      log(`soak: ${c.name} started again at record ${sender.seq}`);
    }
    await new Promise((r) => setTimeout(r, began + SECONDS * 1000 - Date.now()));
    clearInterval(ticker);
    sender.close();
    // Let the stream settle, then stop the readers first so they flush what they hold.
    await new Promise((r) => setTimeout(r, 3000));
    for (const c of [rotate, db, mux, recv]) await stopped(c, 'SIGTERM');

    const archive = new Map<number, number>();
    for (const f of readdirSync(join(dir, 'archive'))) if (!f.startsWith('.')) seqsOf(readFileSync(join(dir, 'archive', f)), archive);
    const stored = new Map<number, number>();
    const sql = new Database(join(dir, 'soak.db'), { readonly: true });
    for (const row of sql.prepare("SELECT path FROM smbta_records WHERE user_name = 'soak'").iterate() as Iterable<{ path: string }>) {
      const seq = Number(row.path.slice('/soak/'.length));
      stored.set(seq, (stored.get(seq) ?? 0) + 1);
    }
    sql.close();

    const windows = all.flatMap((c) => c.kills.map((k) => ({ ...k, name: c.name })));
    let failed = false;
    log(`\nsoak: ${sender.seq} records sent in ${SECONDS}s at ${RATE}/s; each component killed once (SIGKILL, ${DOWN_MS} ms down)`);
    for (const [what, got] of [['archive (smbta-rotate)', archive], ['database (smbta-db)', stored]] as const) {
      const twice = [...got.values()].filter((n) => n > 1).length;
      const missing: number[] = [];
      for (let s = 0; s < sender.seq; s++) if (!got.has(s)) missing.push(s);
      // A kill's window: a second before it (what the killed process held in flight) to three
      // seconds after the restart (readers downstream reconnect with backoff: 0.25, 0.5, 1 s...).
      const explained = (s: number): string | undefined => windows.find((w) => s >= w.from - RATE && s < w.to + 3 * RATE)?.name;
      const byKill = new Map<string, number>();
      const unexplained: number[] = [];
      for (const s of missing) {
        const who = explained(s);
        if (who) byKill.set(who, (byKill.get(who) ?? 0) + 1);
        else unexplained.push(s);
      }
      log(`${what}: ${got.size} records present, ${twice} present twice, ${missing.length} missing`);
      for (const [who, n] of byKill) log(`  lost while ${who} was killed: ${n}`);
      if (twice || unexplained.length) {
        failed = true;
        log(`  FAIL: ${twice} duplicated, ${unexplained.length} missing outside every kill window: ${ranges(unexplained)}`);
      }
    }
    log(
      failed
        ? 'soak: the account does not balance'
        : 'soak: every record is there once, or was lost in a kill window. No component counts those losses: a killed process cannot, and no stage hands off durably (docs/security.md).',
    );
    return failed ? 1 : 0;
  } finally {
    for (const c of all) await stopped(c, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
