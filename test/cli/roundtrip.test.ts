import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { FIELD_NAMES, opName, type SmbRecord } from '../../src/record/fields.js';
import { everyOpRecords } from '../helpers/records.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';
import { createTraffic } from '../../src/synth/traffic.js';

const EVERY_OP = `${ROOT}test/fixtures/every-op.smbta`;
const TRAFFIC = `${ROOT}test/fixtures/traffic-2000.smbta`;

/** A record as smbta-json and smbta-csv print it by default. */
function printed(r: SmbRecord): Record<string, string | number> {
  return { ...r, time: new Date(r.time).toISOString(), end: new Date(r.end).toISOString(), op: opName(r.op) };
}

test('the fixtures are what scripts/make-fixtures.ts makes, byte for byte', () => {
  assert.deepEqual(decodeAll(readFileSync(EVERY_OP)).records, everyOpRecords());
  assert.ok(readFileSync(EVERY_OP).equals(encodeRecords(everyOpRecords(), 5)));
  const t = createTraffic({ seed: 7, users: 20, files: 200 });
  assert.ok(
    readFileSync(TRAFFIC).equals(
      encodeRecords(
        Array.from({ length: 2000 }, () => t.next()),
        500,
      ),
    ),
  );
});

test('smbta-json round-trips every field and every op exactly', async () => {
  const r = await runBin('smbta-json', ['-r', EVERY_OP]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .toString()
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines, everyOpRecords().map(printed));
  assert.deepEqual(Object.keys(lines[0]!), FIELD_NAMES);
  const n = await runBin('smbta-json', ['-n', '-r', EVERY_OP]);
  assert.deepEqual(
    n.stdout
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown),
    everyOpRecords().map((x) => ({ ...x, op: opName(x.op) })),
  );
});

test('smbta-filter | smbta-csv round-trips as valid RFC 4180, commas, quotes, newlines and non-ASCII included', async () => {
  const filtered = await runBin('smbta-filter', [''], { input: readFileSync(EVERY_OP) });
  assert.equal(filtered.code, 0, filtered.stderr);
  const r = await runBin('smbta-csv', [], { input: filtered.stdout });
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString();
  assert.ok(text.startsWith(FIELD_NAMES.join(',') + '\r\n'));
  const rows = parse(text, { columns: true, relax_column_count: false, record_delimiter: '\r\n' }) as Record<string, string>[];
  const want = everyOpRecords().map((x) => Object.fromEntries(Object.entries(printed(x)).map(([k, v]) => [k, String(v)])));
  assert.deepEqual(rows, want);
});

test('smbta-filter keeps exactly what the expression selects', async () => {
  const all = decodeAll(readFileSync(TRAFFIC)).records;
  const want = all.filter((x) => x.user === 'bob' && (x.op === 2 || x.op === 3) && x.bytes >= 4096);
  assert.ok(want.length > 5);
  const f = await runBin('smbta-filter', ['user=bob and write and bytes>=4K'], { input: readFileSync(TRAFFIC) });
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(decodeAll(f.stdout).records, want);
  // Everything matching: blocks pass through with their payload unchanged, numbered for this stream.
  const same = await runBin('smbta-filter', ['-r', TRAFFIC]);
  assert.ok(same.stdout.includes(readFileSync(TRAFFIC).subarray(40, 2000)));
  assert.deepEqual(decodeAll(same.stdout).records, all);
});

test('smbta-cat prints aligned columns with local times and human sizes; -n prints raw numbers', async () => {
  const r = await runBin('smbta-cat', ['-r', EVERY_OP, '-N', '3'], { env: { TZ: 'Europe/Berlin' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.toString(),
    [
      'TIME                     SERVER  CLIENT        USER          SHARE     OP       BYTES  PATH',
      '2026-11-23 10:59:58.123  fs1     192.168.1.10  bob           projects  read   4.0 KiB  docs/file0.txt',
      '2026-11-23 10:59:59.623  fs1     2001:db8::17  alice         projects  pread  1.0 TiB  docs/file1.txt',
      "2026-11-23 11:00:01.123  fs1     192.168.1.10  o'brien, pat  projects  write      1 B  docs/file2.txt",
      '',
    ].join('\n'),
  );
  const n = await runBin('smbta-cat', ['-r', EVERY_OP, '-n', '--no-header', '-s', 'time,bytes,path', 'rename or pwrite']);
  assert.equal(
    n.stdout.toString(),
    ['1795428002623  9007199254740991  docs/file3.txt', '1795428007123                 0  docs/file6.txt -> docs/renamed, ü.txt', ''].join('\n'),
  );
});

test('-s edits the default field list; -t and -N select', async () => {
  const r = await runBin('smbta-csv', [
    '-r',
    EVERY_OP,
    '-s',
    '-time,-end,-sid,-domain,-path2,-client,-server,-count,-mode,-result,-latency,-latency_max,+sid',
    '-t',
    '2026-11-23T10:00-2026-11-23T10:00:06',
    '-N',
    '2',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.toString(),
    'op,user,share,path,bytes,sid\r\nwrite,"o\'brien, pat",projects,docs/file2.txt,1,S-1-5-21-1-2-3-1002\r\npwrite,"zoë ""zed""",projects,docs/file3.txt,9007199254740991,S-1-5-21-1-2-3-1003\r\n',
  );
  const bad = await runBin('smbta-csv', ['-r', EVERY_OP, '-s', 'time,usr']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown field 'usr' in -s; did you mean 'user'\?/);
});

test('a filter may follow -r FILE... directly, or after --', async () => {
  const a = await runBin('smbta-json', ['-r', EVERY_OP, 'user=bob', 'and', 'read']);
  const b = await runBin('smbta-json', ['-r', EVERY_OP, '--', 'user=bob and read']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout.toString().trim().split('\n').length, 1);
  assert.deepEqual(a.stdout, b.stdout);
});
