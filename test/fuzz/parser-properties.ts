/**
 * The fuzzing properties (fast-check) of every parser that meets outside input: Samba's
 * wire protocol (V1, V2, AES), full_audit lines and syslog framing, the stream format, the
 * filter language, the query language and the probe's PDU lines. Properties: no throw
 * other than the parser's own error, output bounded by input, and what survives is well
 * formed. parsers.test.ts runs each in a watched worker (watchdog.ts), which also catches a
 * hang and memory growth. A failure fast-check finds is shrunk, then kept below as a
 * regression case.
 */
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { AuditReader } from '../../src/audit/audit-input.js';
import { parseAuditLine, parsePrefix } from '../../src/audit/full-audit.js';
import { sambaHeaderTime, unframeSyslog } from '../../src/audit/syslog.js';
import { createReporter } from '../../src/io/report.js';
import { compileFilter, globToRegExp } from '../../src/filter/compile.js';
import { visible } from '../../src/format/text.js';
import { linearRegex } from '../../src/language/linear-match.js';
import { LanguageError } from '../../src/language/errors.js';
import { parseFilter } from '../../src/filter/parser.js';
import { createLocalFormatter } from '../../src/format/time.js';
import { parsePduLine } from '../../src/probe/smb2-pdu.js';
import { parseStatements } from '../../src/query/parser.js';
import { FIELDS, replaceNul, type SmbRecord } from '../../src/record/fields.js';
import { BlockKind, MAGIC, readHeader } from '../../src/stream/format.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { WireConnection } from '../../src/wire/connection.js';
import { encodeV1Message, encodeV2Message } from '../../src/wire/encode.js';
import { createLocalTimeConverter } from '../../src/wire/local-time.js';
import { MODULE_DELETE, MODULE_DROPPED, MODULE_SUMMARY } from '../helpers/wire-golden.js';
import { everyOpRecords } from '../helpers/records.js';
import { decodeAll, encodeRecords } from '../helpers/stream.js';

import type { FuzzProperties } from './watchdog.js';

export const PROPS: FuzzProperties = {};

/** Words that are keys of every JavaScript object: found by this fuzzer (`__proto__` crashed the filter parser). */
const PROTO_WORDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__proto__=1', 'not constructor'];
const KEY = Buffer.from('0123456789abcdef');

/** Byte edits: overwrite, insert or delete at positions given as fractions of the length. */
const edits = fc.array(fc.tuple(fc.constantFrom('set', 'insert', 'delete'), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), {
  maxLength: 12,
});

function mutate(data: Buffer, ops: [string, number, number][]): Buffer {
  let b = Buffer.from(data);
  for (const [kind, at, byte] of ops) {
    const i = Math.min(b.length, Math.floor(at * b.length));
    if (kind === 'set' && i < b.length) b[i] = byte;
    else if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    else if (kind === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
  }
  return b;
}

/** Feeds `data` in chunks of the given sizes (cycled). */
function* chunked(data: Buffer, sizes: number[]): Generator<Buffer> {
  for (let p = 0, k = 0; p < data.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    yield data.subarray(p, p + n);
    p += n;
  }
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 });

function wellFormed(r: SmbRecord): void {
  for (const f of FIELDS) {
    const v = r[f.name];
    if (f.kind === 'string') assert.equal(typeof v, 'string', f.name);
    else assert.ok(Number.isFinite(v), `${f.name} = ${String(v)}`);
  }
}

// Valid messages of every kind Samba sends, to mutate.
const stamp = createLocalFormatter();
const traffic = createTraffic({ seed: 21, users: 5, files: 20 });
const samples = Array.from({ length: 40 }, () => traffic.next());
const wireMessages = [
  ...samples.map((r, k) =>
    k % 4 === 0 && r.op <= 3 ? encodeV1Message(r, stamp) : encodeV2Message(r, stamp, { key: k % 3 === 0 ? KEY : undefined, common: k % 5 === 0 ? 6 : 7 }),
  ),
  // vfs_smbta's additions: a delete, a summary's nine common blocks, a drop count.
  ...[MODULE_DELETE, MODULE_SUMMARY, MODULE_DROPPED].map((m) => Buffer.from(m, 'latin1')),
];

PROPS['wire protocol (V1, V2, AES): mutated and random senders never throw, and never yield more records than messages'] = (opts) => {
  const toUtc = createLocalTimeConverter('UTC');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
        fc.tuple(fc.subarray(wireMessages, { minLength: 1 }), edits).map(([ms, e]) => mutate(Buffer.concat(ms), e)),
      ),
      chunkSizes,
      fc.boolean(),
      (data, sizes, keyed) => {
        let records = 0;
        const conn = new WireConnection(
          { maxBody: 65536, maxLine: 65536 },
          toUtc,
          { record: (r) => (wellFormed(r), records++), dropped: () => undefined, reject: () => undefined, notice: () => undefined },
          keyed ? KEY : undefined,
        );
        for (const c of chunked(data, sizes)) if (!conn.push(c)) break;
        assert.ok(conn.buffered <= 65536 + 26, 'nothing held beyond one message');
        // A V1 line is at least ~30 bytes, a V2 message at least its 26-byte header.
        assert.ok(records <= data.length / 26 + 1);
      },
    ),
    opts,
  );
};

const streamSample = encodeRecords(everyOpRecords(), 3);

PROPS['stream format: mutated and random streams never throw; every record that survives is whole and well formed'] = (opts) => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
        edits.map((e) => mutate(streamSample, e)),
      ),
      chunkSizes,
      (data, sizes) => {
        const d = decodeAll(data, sizes[0]);
        for (const r of d.records) wellFormed(r);
        assert.ok(d.records.length <= everyOpRecords().length || data.length > streamSample.length);
      },
    ),
    opts,
  );
};

const AUDIT = [
  'bob|127.0.0.1|vm|pool1|openat|ok|w|/srv/pool1/f3.bin',
  'bob|127.0.0.1|vm|pool1|renameat|ok|/srv/pool1/f3.bin|/srv/pool1/d2/f4.bin',
  'bob|127.0.0.1|vm|pool1|create_file|ok|0x12019f|file|overwrite_if|/srv/pool1/d1/f1.bin',
  '<173>1 2026-11-23T23:42:41.812974+01:00 fs1 smbd_audit 4242 - - bob|127.0.0.1|vm|pool1|close|ok|/x',
  '<173>Nov 23 23:42:41 fs2 smbd_audit[4242]: bob|127.0.0.1|vm|pool1|unlinkat|fail (EPERM)|/x',
  '[2026/11/23 23:42:41.812974,  1] ../../source3/modules/vfs_full_audit.c:643(do_log)',
];

PROPS['full_audit and syslog: mutated and random lines never throw, and give at most one record each'] = (opts) => {
  const prefix = parsePrefix('%u|%I|%m|%S');
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.tuple(fc.constantFrom(...AUDIT), edits).map(([l, e]) => mutate(Buffer.from(l), e).toString('utf8')),
  );
  fc.assert(
    fc.property(fc.array(text, { maxLength: 20 }), (lines) => {
      let records = 0;
      const reader = new AuditReader(
        prefix,
        { record: (r) => (wellFormed(r), records++), reject: () => undefined, report: createReporter('fuzz', () => undefined) },
        'fuzz',
      );
      for (const l of lines) {
        reader.line(l, 'fs1');
        reader.message(l, 0, 'fs1');
        unframeSyslog(l, Date.UTC(2026, 10, 24));
        sambaHeaderTime(l);
        parseAuditLine(l, prefix, 0, 'fs1');
      }
      assert.ok(records <= 2 * lines.length);
    }),
    { ...opts, examples: [[PROTO_WORDS.map((w) => `bob|127.0.0.1|vm|pool1|${w}|ok|/x`)]] as [string[]][] },
  );
};

const FILTER_WORDS = [
  'user',
  'share',
  'path',
  'bytes',
  'latency',
  'time',
  'op',
  'client',
  '=',
  '!=',
  '~',
  '>',
  '<=',
  'in',
  'and',
  'or',
  'not',
  '(',
  ')',
  ',',
  "'",
  '"',
  'bob',
  '1M',
  '20ms',
  '10.0.0.0/8',
  '::1',
  'read',
  'write',
  'today',
  '-1h',
  '\\',
  ' ',
];

PROPS['filter language: any text parses or is a LanguageError with a column inside it'] = (opts) => {
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.array(fc.constantFrom(...FILTER_WORDS), { maxLength: 14 }).map((w) => w.join(' ')),
  );
  fc.assert(
    fc.property(text, (src) => {
      try {
        compileFilter(parseFilter(src), src, Date.UTC(2026, 10, 24));
      } catch (err) {
        if (!(err instanceof LanguageError)) throw err;
        assert.ok(err.column >= 1 && err.column <= src.length + 1, `column ${err.column} of ${JSON.stringify(src)}`);
      }
    }),
    { ...opts, examples: PROTO_WORDS.map((w) => [w]) },
  );
};

const QUERY_WORDS = [
  'top',
  '10',
  'users',
  'shares',
  'files',
  'user',
  'share',
  'file',
  'domain',
  'bob',
  'rw',
  'r',
  'w',
  'total',
  'usage',
  '24h_usage',
  'last_activity',
  'throughput',
  'since',
  'until',
  'today',
  'yesterday',
  'per',
  'second',
  'minutes',
  'system',
  'list',
  'search',
  ',',
  ';',
  "'",
  '"',
  'asc',
  'desc',
  '2026-11-23',
  '10:00:00',
];

PROPS['query language: any text parses or is a syntax error with a column inside it'] = (opts) => {
  const text = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.array(fc.constantFrom(...QUERY_WORDS), { maxLength: 14 }).map((w) => w.join(' ')),
  );
  fc.assert(
    fc.property(text, (src) => {
      try {
        parseStatements(src, Date.UTC(2026, 10, 24));
      } catch (err) {
        if (!(err instanceof LanguageError)) throw err;
        assert.ok(err.column >= 1 && err.column <= src.length + 1, `column ${err.column} of ${JSON.stringify(src)}`);
      }
    }),
    { ...opts, examples: [...PROTO_WORDS, 'top 10 __proto__;', 'constructor, total rw;'].map((w) => [w]) },
  );
};

PROPS['probe PDU lines: any text is a PDU or an error, never a throw'] = (opts) => {
  const good = '1795587418.6\t127.0.0.1\t44500\t127.0.0.1\t58530\tP\t8\t1\t15\t1\t0\t0.000488\tbob\tLAB\t\\\\\\\\fs\\\\p\t\t\t\t\t\t100\t\t\t\t\t\t\t7';
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    edits.map((e) => mutate(Buffer.from(good), e).toString('utf8')),
  );
  fc.assert(
    fc.property(text, (l) => {
      const p = parsePduLine(l);
      if (!('error' in p)) assert.ok(Number.isFinite(p.time) && Number.isFinite(p.latency));
    }),
    opts,
  );
};

/** A records block of the sample whose header's record count is replaced, its header checksum made right again. */
function withCount(stream: Buffer, count: number): Buffer {
  const out = Buffer.from(stream);
  for (let at = out.indexOf(MAGIC); at >= 0; at = out.indexOf(MAGIC, at + 1)) {
    const h = readHeader(out, at, out.length - at);
    if (typeof h !== 'object' || h.kind !== BlockKind.Records) continue;
    out.writeUInt32LE(count, at + 12);
    out.writeUInt32LE(crc32(out.subarray(at, at + h.headerLength - 4)), at + h.headerLength - 4);
    return out;
  }
  return out;
}

PROPS['stream format: a block whose header claims any record count (up to 2^32-1) never throws, allocates by the claim, or yields more than it holds'] = (
  opts,
) => {
  const sample = encodeRecords(everyOpRecords());
  const held = everyOpRecords().length;
  fc.assert(
    fc.property(
      fc.oneof(fc.nat({ max: 100 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(2 ** 32 - 1, 2 ** 31, 65_537, 50_000_000)),
      chunkSizes,
      (count, sizes) => {
        const d = decodeAll(withCount(sample, count), sizes[0]);
        for (const r of d.records) wellFormed(r);
        assert.ok(d.records.length <= held, `${d.records.length} records from a block holding ${held}`);
      },
    ),
    opts,
  );
};

/** Whether `glob` (`*`, `?`, literals) matches all of `s`: the textbook dynamic programme, as the reference. */
function globReference(glob: string, s: string): boolean {
  let row = [true, ...Array<boolean>(s.length).fill(false)];
  for (const c of glob) {
    const next = [c === '*' && row[0]!];
    for (let j = 1; j <= s.length; j++) next[j] = c === '*' ? next[j - 1]! || row[j]! : row[j - 1]! && (c === '?' || c === s[j - 1]);
    row = next;
  }
  return row[s.length]!;
}

PROPS['glob patterns: any pattern of *, ? and letters matches long paths as the reference does, in linear time'] = (opts) => {
  const glob = fc.string({ unit: fc.constantFrom('a', 'b', '/', '*', '?'), maxLength: 24 });
  const path = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'b', '/'), maxLength: 300 }),
    fc.nat({ max: 4000 }).map((n) => 'a'.repeat(n)),
  );
  fc.assert(
    fc.property(glob, path, (g, s) => {
      assert.equal(linearRegex(globToRegExp(g), 's')(s), globReference(g, s), `${g} on ${s.length} characters`);
    }),
    opts,
  );
};

PROPS['names with NUL and control characters: the receiver replaces NUL, every store-bound record is well formed'] = (opts) => {
  const toUtc = createLocalTimeConverter('UTC');
  const name = fc.string({
    unit: fc.oneof(
      fc.constantFrom('\0', '\x1b', '\n', '\x9b', 'ü', '😀'),
      fc.integer({ min: 0, max: 0x2ff }).map((c) => String.fromCharCode(c)),
    ),
    maxLength: 40,
  });
  fc.assert(
    fc.property(name, name, (user, path) => {
      const r = { ...samples[0]!, op: 0, user, path };
      const got: SmbRecord[] = [];
      const conn = new WireConnection({ maxBody: 65536, maxLine: 65536 }, toUtc, {
        record: (x) => void got.push(x),
        dropped: () => undefined,
        reject: () => undefined,
        notice: () => undefined,
      });
      conn.push(encodeV2Message(r, stamp));
      for (const x of got) {
        replaceNul(x);
        wellFormed(x);
        for (const f of FIELDS) if (f.kind === 'string') assert.ok(!(x[f.name] as string).includes('\0'), f.name);
        const shown = [...visible(x.user)].map((c) => c.charCodeAt(0));
        assert.ok(!shown.some((k) => k < 0x20 || (k >= 0x7f && k <= 0x9f)), 'shown escaped');
      }
    }),
    opts,
  );
};

PROPS['times before 1970 and far in the future: wire dates decode or are refused, and streams keep every time exactly'] = (opts) => {
  const toUtc = createLocalTimeConverter('UTC');
  const time = fc.oneof(
    fc.integer({ min: -62_135_596_800_000, max: 0 }),
    fc.integer({ min: 0, max: 253_402_300_799_000 }),
    fc.constantFrom(-1, 2 ** 52, -(2 ** 52), Date.UTC(2999, 0, 1), 8.64e15),
  );
  fc.assert(
    fc.property(time, (t) => {
      const r = { ...samples[0]!, time: t, end: t };
      const back = decodeAll(encodeRecords([r])).records;
      assert.equal(back[0]?.time, t);
      const got: SmbRecord[] = [];
      const conn = new WireConnection({ maxBody: 65536, maxLine: 65536 }, toUtc, {
        record: (x) => void got.push(x),
        dropped: () => undefined,
        reject: () => undefined,
        notice: () => undefined,
      });
      const y = new Date(t).getUTCFullYear();
      conn.push(encodeV2Message(r, (ms) => (y >= 100 && y <= 9999 ? new Date(ms).toISOString().replace('T', ' ').slice(0, 23) : '0050-01-01 00:00:00.000')));
      if (y >= 100 && y <= 9999) assert.equal(got[0]?.time, t);
      else assert.equal(got.length, 0);
    }),
    opts,
  );
};
