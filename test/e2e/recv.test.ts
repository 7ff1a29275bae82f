import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { opName, type SmbRecord } from '../../src/record/fields.js';
import { startRecv, type RunningRecv } from '../helpers/recv.js';
import { runBin } from '../helpers/run-bin.js';
import { decodeAll } from '../helpers/stream.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';
import { encryptedRead, extraCommonBlock, longPathRename, sixBlockMkdir, v1WithDuplicate, WORKED_EXAMPLE } from '../helpers/wire-golden.js';

const KEY = 'Sixteen-chars!!!';

function send(port: number, data: Buffer | string, keepOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      if (keepOpen) s.write(data, () => resolve(s));
      else s.end(data, () => resolve(s));
    });
    s.on('error', reject);
  });
}

async function records(recv: RunningRecv, out: string): Promise<{ recs: SmbRecord[]; stderr: string }> {
  const { code, stderr } = await recv.stop();
  assert.equal(code, 0, stderr);
  return { recs: decodeAll(readFileSync(out)).records, stderr };
}

test('golden messages from the reference decode to the right records', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/key`, `${KEY}\n`);
    const recv = await startRecv(['-w', `${dir}/out.smbta`, '-k', `${dir}/key`, '--server-name', '127.0.0.1=fs-main']);
    const enc = encryptedRead(KEY);
    assert.equal(enc.plainLength % 16, 0);
    for (const m of [WORKED_EXAMPLE, sixBlockMkdir(), longPathRename(), extraCommonBlock(), enc.message, v1WithDuplicate()]) await send(recv.port, m);
    await recv.received(6, 0);
    const { recs, stderr } = await records(recv, `${dir}/out.smbta`);
    const byOp = new Map(recs.map((r) => [opName(r.op) + r.user, r]));
    assert.equal(recs.length, 6, stderr);
    assert.deepEqual(byOp.get('writeholger'), {
      time: Date.UTC(2012, 6, 31, 13, 6, 34, 123),
      end: Date.UTC(2012, 6, 31, 13, 6, 34, 123),
      op: 2,
      user: 'holger',
      sid: 'S-1-5-21-1-2-3-1000',
      domain: 'WORKGROUP',
      share: 'pool',
      path: 'docs/a.txt',
      path2: '',
      client: '192.168.1.10',
      server: 'fs-main',
      bytes: 4096,
      count: 1,
      mode: 0,
      result: 0,
      latency: 0,
      latency_max: 0,
    });
    const mk = byOp.get('mkdiralice')!;
    assert.deepEqual([mk.client, mk.path, mk.mode, mk.result, mk.time], ['', 'new dir', 493, 0, Date.UTC(2026, 10, 23, 10, 0, 0, 500)]);
    const rn = byOp.get('renamebob')!;
    assert.deepEqual([rn.path.length, rn.path2, rn.result, rn.client], [1500, 'b.txt', -1, '::1']);
    const cl = byOp.get('closeeve')!;
    assert.deepEqual([cl.path, cl.client, cl.result], ['scan.pdf', '10.0.0.9', 0]);
    const rd = byOp.get('readcarol')!;
    assert.deepEqual([rd.bytes, rd.share, rd.client, rd.time], [65536, 'media', '10.1.2.3', Date.UTC(2026, 10, 23, 10, 0, 3, 250)]);
    const v1 = byOp.get('writedave')!;
    assert.deepEqual([v1.path, v1.bytes, v1.domain, v1.share], ['/srv/share/docs/report, final.txt', 8192, 'EXAMPLE', '']);
    assert.match(stderr, /sender speaks protocol V2\.3; decoding it as V2\.0/);
    assert.match(stderr, /1 common blocks this receiver does not know; skipped/);
    assert.match(stderr, /6 records .*1 V1 duplicates; rejected: none/);
    // Status blocks say what each file server speaks (the last message here was V1).
    const status = decodeAll(readFileSync(`${dir}/out.smbta`))
      .side.filter((b) => b.kind === 2)
      .at(-1)!;
    assert.deepEqual(status.body.senders, { 'fs-main': 'V1' });
  }));

test("--tz converts the senders' local time; without it the receiver's zone is used", () =>
  withTmpDir(async (dir) => {
    const a = await startRecv(['-w', `${dir}/a.smbta`, '--tz', 'America/New_York']);
    await send(a.port, WORKED_EXAMPLE);
    await a.received(1);
    assert.equal((await records(a, `${dir}/a.smbta`)).recs[0]!.time, Date.UTC(2012, 6, 31, 17, 6, 34, 123));
    const b = await startRecv(['-w', `${dir}/b.smbta`], { TZ: 'Asia/Tokyo' });
    await send(b.port, WORKED_EXAMPLE);
    await b.received(1);
    assert.equal((await records(b, `${dir}/b.smbta`)).recs[0]!.time, Date.UTC(2012, 6, 31, 4, 6, 34, 123));
    const bad = await runBin('smbta-recv', ['--tz', 'Mars/Olympus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tz Mars\/Olympus: expected an IANA time zone such as Europe\/Berlin or UTC/);
  }));

test('encrypted records without a key, or with the wrong one, are rejected, logged once per connection, counted', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/wrong`, 'Not-the-real-key');
    const enc = encryptedRead(KEY).message;
    for (const args of [[], ['-k', `${dir}/wrong`]]) {
      const recv = await startRecv(['--force', '-w', `${dir}/out.smbta`, ...args]);
      await send(recv.port, Buffer.concat([enc, enc, enc, Buffer.from(WORKED_EXAMPLE)]));
      await send(recv.port, enc);
      await recv.received(1, 0);
      const { recs, stderr } = await records(recv, `${dir}/out.smbta`);
      assert.equal(recs.length, 1);
      const reason = args.length ? 'wrong key' : 'encrypted, no key';
      assert.equal(stderr.split('record rejected').length - 1, 2, stderr);
      assert.match(stderr, new RegExp(`rejected: ${reason} 4`));
      // The counters travel in the stream's status blocks: readers report the loss too.
      const reader = await runBin('smbta-json', ['-r', `${dir}/out.smbta`]);
      assert.equal(reader.code, 0);
      assert.match(reader.stderr, new RegExp(`smbta-recv@\\S+ reports 4 records dropped \\(${reason} 4\\)`));
    }
    writeFileSync(`${dir}/short`, 'tooshort');
    const bad = await runBin('smbta-recv', ['-k', `${dir}/short`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /exactly 16 non-whitespace characters/);
  }));

test('anonymisation: keyed pseudonyms are stable across restarts; total replaces with one constant', () =>
  withTmpDir(async (dir) => {
    writeFileSync(`${dir}/anon`, 'a long secret for pseudonyms');
    const users: string[] = [];
    for (const run of [1, 2]) {
      const recv = await startRecv(['-w', `${dir}/${run}.smbta`, '--anonymize', 'user,client', '--anon-key', `${dir}/anon`]);
      await send(recv.port, WORKED_EXAMPLE);
      await recv.received(1);
      const r = (await records(recv, `${dir}/${run}.smbta`)).recs[0]!;
      assert.notEqual(r.user, 'holger');
      assert.notEqual(r.client, '192.168.1.10');
      assert.equal(r.sid, 'S-1-5-21-1-2-3-1000');
      users.push(r.user);
    }
    assert.equal(users[0], users[1]);
    const total = await startRecv(['-w', `${dir}/t.smbta`, '--anonymize', 'user,sid', '--anonymize-total', 'someone']);
    await send(total.port, WORKED_EXAMPLE);
    await total.received(1);
    const t = (await records(total, `${dir}/t.smbta`)).recs[0]!;
    assert.deepEqual([t.user, t.sid, t.client], ['someone', 'someone', '192.168.1.10']);
    const bad = await runBin('smbta-recv', ['--anonymize', 'user']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--anonymize needs --anon-key FILE/);
  }));

test('-P serves the stream to readers; SIGUSR1 prints statistics', async () => {
  const served = await startRecv(['-P', '0']);
  const port = Number(/serving readers on 127\.0\.0\.1:(\d+)/.exec(served.stderr())![1]);
  assert.ok(port > 0);
  const reader = runBin('smbta-json', ['-S', `127.0.0.1:${port}`, '-N', '2'], { timeoutMs: 15000 });
  await waitUntil('the reader to connect', async () => (await served.stats()) && /; 1 readers$/m.test(served.stderr()));
  await send(served.port, WORKED_EXAMPLE + sixBlockMkdir());
  const r = await reader;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { user: string }).user),
    ['holger', 'alice'],
  );
  assert.equal((await served.received(2, 0)).total, 1);
  await served.stop();
});
