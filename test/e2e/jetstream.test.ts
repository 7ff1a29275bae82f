/**
 * NATS JetStream as the stream's transport, against a real nats-server: publishing with
 * message ids a resend cannot double, subjects per file server under one stream, damage on
 * the stream, TLS and tokens, and durable readers (rotate, db) killed and started again that
 * keep every record that reached JetStream exactly once. The three-node cluster with a node
 * killed under load is the soak's JetStream mode (soak.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createJetStreamSink, parseNatsUrl } from '../../src/io/jetstream.js';
import { createReporter } from '../../src/io/report.js';
import type { SmbRecord } from '../../src/record/fields.js';
import { BlockKind, frameBlock } from '../../src/stream/format.js';
import { jetStreamContent, NO_NATS, startNats } from '../helpers/nats.js';
import { makePki, opensslMissing } from '../helpers/pki.js';
import { startProc } from '../helpers/proc.js';
import { startRecv } from '../helpers/recv.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

const FIXTURE = `${ROOT}test/fixtures/traffic-2000.smbta`;
const keyOf = (r: Pick<SmbRecord, 'time' | 'op' | 'user' | 'share' | 'path' | 'path2' | 'bytes' | 'server'>): string =>
  `${r.time}|${r.op}|${r.user}|${r.share}|${r.path}|${r.path2}|${r.bytes}|${r.server}`;

function counts(recs: readonly SmbRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of recs) m.set(keyOf(r), (m.get(keyOf(r)) ?? 0) + 1);
  return m;
}

test('two file servers publish under one stream; a reader takes one subject or all; a resend is dropped by its message id', { skip: NO_NATS }, async () => {
  const nats = await startNats();
  const url = (path: string): string => `nats://${nats.servers}/${path}`;
  try {
    for (const server of ['fs1', 'fs2']) {
      const r = await runBin('smbta-filter', ['-r', FIXTURE, '-w', url(`smbta.${server}`)]);
      assert.equal(r.code, 0, r.stderr);
      if (server === 'fs1') assert.match(r.stderr, /made JetStream stream SMBTA \(subjects smbta\.>, 1 replicas\)/);
    }
    const direct = await runBin('smbta-csv', ['-r', FIXTURE]);
    const fs1 = await runBin('smbta-csv', ['-S', url('SMBTA/smbta.fs1'), '-N', '2000']);
    assert.equal(fs1.code, 0, fs1.stderr);
    assert.equal(fs1.stdout.toString(), direct.stdout.toString());
    const both = await runBin('smbta-json', ['-S', url('SMBTA'), '-N', '4000']);
    assert.equal(both.stdout.toString().trim().split('\n').length, 4000);

    // The same blocks again (a writer resending after a failover): JetStream keeps them once.
    const nc = await nats.client();
    const jsm = await nc.jetstreamManager();
    const before = (await jsm.streams.info('SMBTA')).state.messages;
    for (let round = 0; round < 2; round++) {
      const sink = createJetStreamSink(parseNatsUrl(url('smbta.fs3'), 'write', '-w'), {}, createReporter('test'), 'test');
      sink.write(readFileSync(FIXTURE));
      await sink.close();
    }
    const blocks = decodeAll(readFileSync(FIXTURE));
    const after = (await jsm.streams.info('SMBTA')).state.messages;
    assert.equal(after - before, blocks.stats.blocks, 'each block once, though written twice');
    assert.equal((await jetStreamContent(nc, 'SMBTA', 'smbta.fs3')).records.length, 2000);
  } finally {
    await nats.stop();
  }
});

test('blocks larger than the server takes go as parts; two writers interleaving their parts under one stream are each read whole', { skip: NO_NATS }, () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/nats.conf`, 'max_payload: 2048\n');
    const nats = await startNats(1, ['-c', `${dir}/nats.conf`]);
    try {
      const url = (path: string): string => `nats://${nats.servers}/${path}`;
      const writers = ['fs1', 'fs2'].map((fs) => runBin('smbta-filter', ['-r', FIXTURE, '-w', url(`smbta.${fs}`)]));
      for (const w of await Promise.all(writers)) assert.equal(w.code, 0, w.stderr);
      const nc = await nats.client();
      const jsm = await nc.jetstreamManager();
      assert.ok((await jsm.streams.info('SMBTA')).state.messages > 2 * decodeAll(readFileSync(FIXTURE)).stats.blocks, 'blocks went in parts');
      const r = await runBin('smbta-json', ['-S', url('SMBTA'), '-N', '4000']);
      assert.equal(r.code, 0, r.stderr);
      // Each writer's records once: the file's lines twice over, whatever the order.
      const lines = (b: Buffer): string[] => b.toString().trim().split('\n').sort();
      const once = lines((await runBin('smbta-json', ['-r', FIXTURE])).stdout);
      assert.deepEqual(lines(r.stdout), [...once, ...once].sort());
    } finally {
      await nats.stop();
    }
  }),
);

test('garbage, a cut block and an absurd length on the stream are skipped and said; the good blocks around them are read', { skip: NO_NATS }, async () => {
  const nats = await startNats();
  try {
    const nc = await nats.client();
    const js = nc.jetstream();
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'SMBTA', subjects: ['smbta.>'] });
    const good = encodeRecords(decodeAll(readFileSync(FIXTURE)).records.slice(0, 300));
    const absurd = frameBlock(BlockKind.Records, Buffer.alloc(16), 1, 0, 0);
    absurd.writeUInt32LE(0xfffffff0, 8);
    const cut = good.subarray(0, good.length - 9);
    for (const data of [good, Buffer.from('not a stream at all\n'.repeat(50)), cut, absurd, good]) await js.publish('smbta.bad', data);
    // The whole blocks before the cut one are read too.
    const expected = 600 + decodeAll(cut).records.length;
    const r = await runBin('smbta-json', ['-S', `nats://${nats.servers}/SMBTA/smbta.bad`, '-N', String(expected)]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.toString().trim().split('\n').length, expected, 'every whole block');
    assert.match(r.stderr, /nats:\/\/127\.0\.0\.1:\d+\/SMBTA\/smbta\.bad: skipped \d+ bytes/);
  } finally {
    await nats.stop();
  }
});

test('a nats:// link beyond loopback needs TLS or --insecure; a bad URL, --durable without JetStream, and rotate --durable without --state are refused', async () => {
  for (const [program, args, said] of [
    ['smbta-filter', ['-r', FIXTURE, '-w', 'nats://192.0.2.1:4222/smbta.fs1'], /beyond loopback a NATS link needs TLS \(tls:\/\/\.\.\.\) or --insecure/],
    ['smbta-cat', ['-S', 'nats://192.0.2.1/SMBTA'], /beyond loopback a NATS link needs TLS/],
    ['smbta-filter', ['-r', FIXTURE, '-w', 'nats://127.0.0.1:4222/smbta.*'], /the subject must be dot-separated words without wildcards/],
    ['smbta-filter', ['-r', FIXTURE, '-w', 'nats://127.0.0.1:4222/smbta.fs1?replicas=9'], /unknown setting replicas=9/],
    ['smbta-cat', ['-S', 'nats://127.0.0.1:4222/'], /expected \/STREAM or \/STREAM\/SUBJECT/],
    ['smbta-cat', ['-r', FIXTURE, '--durable', 'x'], /--durable names a JetStream consumer: give -S nats:\/\/HOST:PORT\/STREAM/],
    ['smbta-rotate', ['-S', 'nats://127.0.0.1:4222/SMBTA', '--durable', 'r', '-w', '/tmp/x-%Y.smbta'], /--durable needs --state/],
  ] as const) {
    const r = await runBin(program, args);
    assert.equal(r.code, 2, `${program} ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, said);
  }
});

test(
  'TLS and a token: a writer and a reader with --nats-ca and --nats-creds get in; without the token the server is not reached',
  { skip: NO_NATS || opensslMissing() },
  () =>
    withTmpDir(async (dir) => {
      makePki(dir);
      const token = 'b1f0c3d2e5a49687b1f0c3d2e5a49687';
      writeFileSync(`${dir}/token`, `${token}\n`, { mode: 0o600 });
      const nats = await startNats(1, ['--auth', token, '--tls', '--tlscert', `${dir}/server.pem`, '--tlskey', `${dir}/server.key`], {
        token,
        tls: { ca: readFileSync(`${dir}/ca.pem`, 'utf8') },
      });
      try {
        const url = (path: string): string => `tls://${nats.servers}/${path}`;
        const secure = ['--nats-ca', `${dir}/ca.pem`, '--nats-creds', `${dir}/token`];
        const w = await runBin('smbta-filter', ['-r', FIXTURE, '-w', url('smbta.fs1'), ...secure]);
        assert.equal(w.code, 0, w.stderr);
        const r = await runBin('smbta-json', ['-S', url('SMBTA'), '-N', '2000', ...secure]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.toString().trim().split('\n').length, 2000);
        const denied = startProc('smbta-cat', ['-S', url('SMBTA'), '--nats-ca', `${dir}/ca.pem`]);
        await denied.waitFor(/Authorization Violation|AUTHORIZATION_VIOLATION|authorization/i);
        await denied.stop();
      } finally {
        await nats.stop();
      }
    }),
);

test(
  'torture -> recv -> JetStream -> rotate and db with durable consumers, each SIGKILLed and started again: every record JetStream holds is kept exactly once',
  { skip: NO_NATS, timeout: 120_000 },
  () =>
    withTmpDir(async (dir) => {
      const nats = await startNats();
      try {
        const js = (path: string): string => `nats://${nats.servers}/${path}`;
        const recv = await startRecv(['-w', js('smbta.fs1'), '--state', `${dir}/recv.state`]);
        const rotateArgs = ['-S', js('SMBTA'), '--durable', 'archive', '--state', `${dir}/rotate.state`, '-M', 'count', '5000', '-w', `${dir}/a/%Y%m%d.smbta`];
        const dbArgs = ['load', '-S', js('SMBTA'), '--durable', 'db', '--db', `${dir}/s.db`, '--batch-records', '1000'];
        let rotate = startProc('smbta-rotate', rotateArgs);
        let db = startProc('smbta-db', dbArgs);
        const torture = runBin('smbta-torture', ['-d', `127.0.0.1:${recv.port}`, '-c', '3', '--rate', '4000', '--duration', '8s', '--users', '12'], {
          timeoutMs: 60_000,
        });
        // Files still being written (under their temporary names) hold what each commit landed.
        const archive = (): Buffer[] => (existsSync(`${dir}/a`) ? readdirSync(`${dir}/a`) : []).map((f) => readFileSync(`${dir}/a/${f}`));
        const archived = (): number => decodeAll(Buffer.concat(archive())).records.length;
        await waitUntil('the archive to hold records', () => archived() > 3000, 20_000, 100);
        await rotate.stop('SIGKILL');
        rotate = startProc('smbta-rotate', rotateArgs);
        await waitUntil('the database to hold records', () => stored(`${dir}/s.db`).length > 12_000, 20_000, 100);
        await db.stop('SIGKILL');
        db = startProc('smbta-db', dbArgs);
        const sent = await torture;
        assert.equal(sent.code, 0, sent.stderr);
        const ledger = JSON.parse(sent.stdout.toString()) as { records: number };
        await recv.received(ledger.records, 0);
        const nc = await nats.client();
        // recv publishes what it received within its 100 ms flush.
        const held = await waitUntil(
          'recv to publish every record',
          async () => {
            const c = await jetStreamContent(nc, 'SMBTA');
            return c.records.length === ledger.records && c;
          },
          10_000,
          200,
        );
        // Every record once (torture's own count); the same record twice by chance stays twice everywhere.
        const want = counts(held.records);
        await waitUntil('both stores to catch up', () => archived() === ledger.records && stored(`${dir}/s.db`).length === ledger.records, 30_000, 200).catch(
          (err: Error) =>
            assert.fail(
              `${err.message}: archive ${archived()}, database ${stored(`${dir}/s.db`).length} of ${ledger.records}\n${rotate.stderr()}\n${db.stderr()}`,
            ),
        );
        for (const p of [rotate, db]) assert.equal(await p.stop('SIGTERM'), 0, p.stderr());
        await recv.stop();
        const inArchive = counts(decodeAll(Buffer.concat(archive())).records);
        assert.deepEqual(inArchive, want);
        assert.deepEqual(counts(stored(`${dir}/s.db`)), want);
        for (const p of [rotate, db]) assert.doesNotMatch(p.stderr(), /lost \d+ records/);
      } finally {
        await nats.stop();
      }
    }),
);

function stored(path: string): SmbRecord[] {
  try {
    const sql = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return sql.prepare('SELECT time, op, user_name AS user, share, path, path2, bytes, server FROM smbta_records').all() as SmbRecord[];
    } finally {
      sql.close();
    }
  } catch {
    return [];
  }
}
