/**
 * npm run soak: sustained load from smbta-torture through smbta-recv -> smbta-mux ->
 * smbta-rotate and smbta-db load, killing each component in turn with SIGKILL and starting
 * it again, then proving from torture's own account (its recording of every byte sent, and
 * its ledger of every connection) that every record is in the archive and in the database
 * exactly once, or was counted as lost by a component that said so:
 *   - smbta-recv, restarted from --state, says how many records of each sender connection it
 *     had passed on; what torture wrote on that connection beyond those died with it (the
 *     Samba protocol has no acknowledgements, so the two accounts together count it);
 *   - every reader (mux, rotate, db) says how many numbered records never reached it or
 *     never left it before it was killed ("lost N records in transit").
 * The archive must be short by exactly recv's + mux's + rotate's count, the database by
 * recv's + mux's + db's, with nothing present twice and nothing that was never sent.
 * With --jetstream (or SMBTA_SOAK_TRANSPORT=jetstream) a three-node NATS JetStream cluster
 * stands where mux stood: recv publishes to a stream of three replicas, rotate and db read it
 * through durable consumers, and one NATS node is killed too. Then everything after
 * JetStream must be exact: the archive and the database each hold every record the stream
 * holds exactly once, and nothing else.
 * Bounded: SMBTA_SOAK_SECONDS (default 120) of load at SMBTA_SOAK_RATE records/s (default
 * 2000); everything runs on 127.0.0.1 in a temporary directory that is removed at the end.
 * Exit status 0 when the account balances, 1 when it does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { SmbRecord } from '../src/record/fields.js';
import type { Ledger } from '../src/torture/ledger.js';
import { readRecording } from '../src/torture/recording.js';
import { WireConnection } from '../src/wire/connection.js';
import { createLocalTimeConverter } from '../src/wire/local-time.js';
import { freePort } from '../test/helpers/ports.js';
import { jetStreamContent, startNats } from '../test/helpers/nats.js';
import { decodeAll } from '../test/helpers/stream.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECONDS = Number(process.env.SMBTA_SOAK_SECONDS ?? 120);
const RATE = Number(process.env.SMBTA_SOAK_RATE ?? 2000);
const DOWN_MS = 1000;
const JETSTREAM = process.argv.includes('--jetstream') || process.env.SMBTA_SOAK_TRANSPORT === 'jetstream';
// torture stamps local time and the receiver reads it in its zone: one zone for both.
process.env.TZ = 'UTC';

interface Component {
  name: string;
  args: string[];
  child?: ChildProcess;
  /** Everything it said on stderr, over all its runs. */
  said: string[];
}

function start(c: Component, log: (m: string) => void): ChildProcess {
  const [bin, ...sub] = c.name.split(' ');
  const child = spawn(process.execPath, [join(ROOT, 'bin', `${bin}.js`), ...sub, ...c.args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TZ: 'UTC' },
  });
  let rest = '';
  child.stderr.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      c.said.push(l);
      log(`  ${l}`);
    }
  });
  c.child = child;
  return child;
}

const stopped = (c: Component, signal: NodeJS.Signals): Promise<void> =>
  new Promise((resolve) => {
    if (!c.child || c.child.exitCode !== null || c.child.signalCode !== null) return resolve();
    c.child.once('exit', () => resolve());
    c.child.kill(signal);
  });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** What identifies a record end to end (the receiver adds `server`). */
const keyOf = (r: Pick<SmbRecord, 'time' | 'op' | 'user' | 'share' | 'path' | 'path2' | 'bytes'>): string =>
  `${r.time}|${r.op}|${r.user}|${r.share}|${r.path}|${r.path2}|${r.bytes}`;

function add(into: Map<string, number>, key: string): void {
  into.set(key, (into.get(key) ?? 0) + 1);
}

/** Every record torture sent, from its recording, decoded as the receiver decodes them. */
function sentRecords(recording: string): Map<string, number> {
  const sent = new Map<string, number>();
  const toUtc = createLocalTimeConverter('UTC');
  const decoders = new Map<number, WireConnection>();
  for (const f of readRecording(recording)) {
    let d = decoders.get(f.conn);
    if (!d)
      decoders.set(
        f.conn,
        (d = new WireConnection({ maxBody: 1 << 20, maxLine: 1 << 20 }, toUtc, {
          record: (r) => add(sent, keyOf(r)),
          dropped: () => undefined,
          reject: () => undefined,
          notice: () => undefined,
        })),
      );
    d.push(f.data);
  }
  return sent;
}

function counted(d: { records: readonly SmbRecord[] }): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of d.records) add(m, keyOf(r));
  return m;
}

/** What `got` lacks of `want`, holds more often than `want` (twice), and holds that `want` has not at all (unsent), record by record. */
function difference(
  want: ReadonlyMap<string, number>,
  got: ReadonlyMap<string, number>,
): { total: number; present: number; missing: number; twice: number; unsent: number } {
  const d = { total: 0, present: 0, missing: 0, twice: 0, unsent: 0 };
  for (const [k, n] of want) {
    d.total += n;
    d.missing += Math.max(0, n - (got.get(k) ?? 0));
  }
  for (const [k, n] of got) {
    const w = want.get(k) ?? 0;
    d.present += n;
    if (!w) d.unsent += n;
    else d.twice += Math.max(0, n - w);
  }
  return d;
}

/** Sum of N over the lines matching `re` (its first group). */
const total = (lines: readonly string[], re: RegExp): number => lines.reduce((n, l) => n + Number(re.exec(l)?.[1] ?? 0), 0);

/** What smbta-query's report of a store says was lost upstream, what its usage chart marks, and how many senders it saw. */
async function storedLoss(source: readonly string[]): Promise<{ lost: number; charted: number; senders: number }> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'smbta-query.js'), ...source, '--json', '-q', 'system, smbtad-report full;', '-q', 'system, self-check;', '-q', 'global, usage rw;'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`smbta-query exited ${code}`))));
  });
  const [report, check, usage] = out
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { rows: Record<string, string | number>[] }).rows);
  return {
    lost: Number(report!.find((r) => r.item === 'records lost upstream')?.value ?? NaN),
    charted: usage!.reduce((n, r) => n + Number(r.lost), 0),
    senders: check!.filter((r) => String(r.item).startsWith('sender ')).length,
  };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'smbta-soak-'));
  mkdirSync(join(dir, 'archive'));
  const [samba, readers, hub] = [await freePort(), await freePort(), await freePort()];
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const component = (name: string, args: string[]): Component => ({ name, args, said: [] });
  const nats = JETSTREAM ? await startNats(3) : undefined;
  const stream = nats ? `nats://${nats.servers}/SMBTA` : '';
  const out = nats ? ['-w', `nats://${nats.servers}/smbta.soak?replicas=3`] : ['-P', String(readers)];
  const recv = component('smbta-recv', ['-i', String(samba), ...out, '--status-every', '2', '--state', join(dir, 'recv.state')]);
  const mux = component('smbta-mux', ['-S', `127.0.0.1:${readers}`, '-P', String(hub), '--state', join(dir, 'mux.state')]);
  const from = (durable: string): string[] => (nats ? ['-S', stream, '--durable', durable] : ['-S', `127.0.0.1:${hub}`]);
  const rotate = component('smbta-rotate', [
    ...from('archive'),
    '-M',
    'count',
    '20000',
    '-w',
    join(dir, 'archive', 'soak.smbta'),
    '--state',
    join(dir, 'rotate.state'),
  ]);
  const db = component('smbta-db load', [...from('database'), '--db', join(dir, 'soak.db'), '--batch-records', '2000']);
  const all = nats ? [recv, rotate, db] : [recv, mux, rotate, db];
  // What is killed in turn: each component, and in JetStream mode one NATS node (the stream has three replicas).
  const victims: { name: string; kill(): Promise<void>; start(): Promise<void> | void }[] = all.map((c) => ({
    name: c.name,
    kill: () => stopped(c, 'SIGKILL'),
    start: () => void start(c, log),
  }));
  if (nats) victims.splice(1, 0, { name: 'nats-server n0', kill: () => nats.nodes[0]!.kill(), start: () => nats.nodes[0]!.start() });
  const torture = component('smbta-torture', [
    '-d',
    `127.0.0.1:${samba}`,
    '-c',
    '2',
    '--rate',
    String(RATE),
    '--duration',
    `${SECONDS}s`,
    '--reconnect',
    '--users',
    '20',
    '--files',
    '200',
    '--record',
    join(dir, 'sent.rec'),
    '--ledger',
    join(dir, 'ledger.json'),
  ]);
  try {
    for (const c of all) start(c, log);
    await sleep(1500);
    const began = Date.now();
    const sending = new Promise<number | null>((resolve) => start(torture, log).once('exit', resolve));
    const killEvery = (SECONDS * 1000) / (victims.length + 1);
    for (let k = 0; k < victims.length; k++) {
      await sleep(began + killEvery * (k + 1) - Date.now());
      const v = victims[k]!;
      log(`soak: SIGKILL ${v.name} at ${((Date.now() - began) / 1000).toFixed(1)}s`);
      await v.kill();
      await sleep(DOWN_MS);
      await v.start();
      log(`soak: ${v.name} started again`);
    }
    const code = await sending;
    if (code !== 0) throw new Error(`smbta-torture exited ${code}`);
    // Let the stream settle, then stop the readers first so they store what they hold.
    await sleep(3000);
    for (const c of [rotate, db, mux, recv]) await stopped(c, 'SIGTERM');
    const held = nats ? counted(await jetStreamContent(await nats.client(), 'SMBTA')) : undefined;

    const sent = sentRecords(join(dir, 'sent.rec'));
    const ledger = JSON.parse(readFileSync(join(dir, 'ledger.json'), 'utf8')) as Ledger;
    const sentTotal = [...sent.values()].reduce((a, b) => a + b, 0);
    if (sentTotal !== ledger.records) throw new Error(`the recording holds ${sentTotal} records, the ledger ${ledger.records}`);

    // What each component said it lost.
    const passedOn = new Map<string, number>();
    for (const l of recv.said) {
      const m = /sender (\S+) had (\d+) records passed on/.exec(l);
      if (m) passedOn.set(m[1]!, Number(m[2]));
    }
    const broken = (ledger.connections ?? []).filter((c) => c.broken);
    const lostAtRecv = broken.reduce((n, c) => n + c.records - (passedOn.get(c.local) ?? 0), 0);
    const inTransit = /lost (\d+) records in transit/;
    const lostAt = { recv: lostAtRecv, mux: total(mux.said, inTransit), rotate: total(rotate.said, inTransit), db: total(db.said, inTransit) };

    const archive = new Map<string, number>();
    for (const f of readdirSync(join(dir, 'archive')))
      if (!f.startsWith('.')) for (const r of decodeAll(readFileSync(join(dir, 'archive', f))).records) add(archive, keyOf(r));
    const stored = new Map<string, number>();
    const sql = new Database(join(dir, 'soak.db'), { readonly: true });
    const rows = sql.prepare('SELECT time, op, user_name AS user, share, path, path2, bytes FROM smbta_records').all() as SmbRecord[];
    sql.close();
    for (const r of rows) add(stored, keyOf(r));

    log(
      `\nsoak: torture sent ${sentTotal} records in ${SECONDS}s at ${RATE}/s over ${ledger.connections?.length ?? 0} connections (${broken.length} broken by the kill); each of ${victims.map((v) => v.name).join(', ')} killed once (SIGKILL, ${DOWN_MS} ms down)`,
    );
    log(
      `soak: counted lost: at smbta-recv ${lostAt.recv} (torture's writes on its broken connections less what recv's --state says it had passed on), by smbta-mux ${lostAt.mux}, by smbta-rotate ${lostAt.rotate}, by smbta-db ${lostAt.db}`,
    );
    let failed = false;
    for (const [what, got, counted] of [
      ['archive (smbta-rotate)', archive, lostAt.recv + lostAt.mux + lostAt.rotate],
      ['database (smbta-db)', stored, lostAt.recv + lostAt.mux + lostAt.db],
    ] as const) {
      const { present, missing, twice, unsent } = difference(sent, got);
      const ok = missing === counted && !twice && !unsent;
      failed ||= !ok;
      log(
        `${what}: ${present} present, ${missing} missing, ${counted} counted lost, ${twice} present twice, ${unsent} never sent: ${ok ? 'balanced' : 'FAIL'}`,
      );
    }
    // After JetStream nothing may be lost or doubled, counted or not: each store holds exactly what the stream holds.
    if (held) {
      for (const [what, got] of [
        ['archive (smbta-rotate)', archive],
        ['database (smbta-db)', stored],
      ] as const) {
        const d = difference(held, got);
        const extra = d.twice + d.unsent;
        failed ||= d.missing + extra > 0;
        log(`${what} against JetStream (${d.total} records held): ${d.missing} missing, ${extra} extra or twice: ${d.missing + extra ? 'FAIL' : 'exact'}`);
      }
    }
    // The stores themselves say what they miss: the losses found on the way are kept where the records are.
    for (const [what, source, counted] of [
      ['archive (smbta-rotate)', ['-R', join(dir, 'archive')], lostAt.mux + lostAt.rotate],
      ['database (smbta-db)', ['--db', join(dir, 'soak.db')], lostAt.mux + lostAt.db],
    ] as const) {
      const said = await storedLoss(source);
      const ok = said.lost === counted && said.charted === counted && said.senders > 0;
      failed ||= !ok;
      log(
        `${what} says: ${said.lost} records lost upstream (${counted} counted on the way), ${said.charted} marked in its usage chart, ${said.senders} senders seen: ${ok ? 'kept' : 'FAIL'}`,
      );
    }
    log(failed ? 'soak: the account does not balance' : 'soak: every record sent is stored exactly once or was counted lost by a component that said so');
    return failed ? 1 : 0;
  } finally {
    for (const c of [...all, torture]) await stopped(c, 'SIGKILL');
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
