import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listArchive } from '../../src/io/archive.js';
import { compressBuffer, loadBzip2 } from '../../src/io/bz2.js';
import { createReporter } from '../../src/io/report.js';
import { encodeRecords } from '../../src/stream/builder.js';
import { frameBlock, BlockKind } from '../../src/stream/format.js';
import { emptyRecord, opId } from '../../src/record/fields.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const at = (minute: number): Buffer => {
  const time = Date.UTC(2026, 11, 7, 10, minute);
  return encodeRecords([{ ...emptyRecord(), op: opId('open'), user: 'bob', path: `m${minute}`, time, end: time }]);
};

test('an archive lists its stream files by first record time, whatever their names; hidden, temporary and non-files are left out', () =>
  withTmpDir(async (dir) => {
    const arch = join(dir, 'arch');
    mkdirSync(join(arch, 'b/.hidden'), { recursive: true });
    mkdirSync(join(arch, 'a'));
    // Names that sort against their times, and a side block before the first records block.
    const info = frameBlock(BlockKind.Info, Buffer.from('{}'), 0, 0, 0);
    writeFileSync(join(arch, 'a/z.smbta'), at(1));
    writeFileSync(join(arch, 'b/y.smbta'), Buffer.concat([info, at(2)]));
    writeFileSync(join(arch, 'a/x.smbta.bz2'), compressBuffer(await loadBzip2(), at(3)));
    writeFileSync(join(arch, 'w.smbta'), at(4));
    symlinkSync(join(arch, 'w.smbta'), join(arch, 'v-link.smbta'));
    // Left out: hidden, temporary, a FIFO (reading it would block), a link to nothing, a link to itself.
    writeFileSync(join(arch, 'b/.hidden/u.smbta'), at(0));
    writeFileSync(join(arch, '.t.smbta'), at(0));
    writeFileSync(join(arch, 'a/s.smbta.tmp'), at(0));
    execFileSync('mkfifo', [join(arch, 'fifo.smbta')]);
    symlinkSync(join(arch, 'gone.smbta'), join(arch, 'dangling.smbta'));
    symlinkSync(join(arch, 'loop.smbta'), join(arch, 'loop.smbta'));
    // Garbage and an unreadable file sort last, by name: reading them says what is wrong.
    writeFileSync(join(arch, 'a/garbage.smbta'), 'not a stream at all');
    writeFileSync(join(arch, 'a/locked.smbta'), at(0));
    chmodSync(join(arch, 'a/locked.smbta'), 0);
    const said: string[] = [];
    const listed = await listArchive(
      arch,
      createReporter('test', (t) => said.push(t)),
    );
    const root = process.getuid?.() === 0; // root reads a mode-0 file: it is then first
    assert.deepEqual(
      listed.map((p) => p.slice(arch.length + 1)),
      [
        ...(root ? ['a/locked.smbta'] : []),
        'a/z.smbta',
        'b/y.smbta',
        'a/x.smbta.bz2',
        ...['v-link.smbta', 'w.smbta'],
        'a/garbage.smbta',
        ...(root ? [] : ['a/locked.smbta']),
      ],
    );
    assert.equal(said.length, 0);
    assert.deepEqual(
      await listArchive(
        join(dir, 'none'),
        createReporter('test', (t) => said.push(t)),
      ),
      [],
    );
    assert.match(said.join(''), /none: no such file or directory/);
  }));

test('an archive of thousands of files is listed on two threads, in slices: the order holds across both, timers run meanwhile', () =>
  withTmpDir(async (dir) => {
    // Names in the opposite order of their times: the second half (read by the worker) comes first.
    for (let k = 0; k < 5000; k++) writeFileSync(join(dir, `f${String(k).padStart(4, '0')}.smbta`), at(5000 - k));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const listed = await listArchive(
      dir,
      createReporter('test', () => undefined),
    );
    clearInterval(timer);
    assert.deepEqual(
      listed.map((p) => p.slice(dir.length + 1)),
      Array.from({ length: 5000 }, (_, k) => `f${String(4999 - k).padStart(4, '0')}.smbta`),
    );
    assert.ok(ticks >= 2, `timers ran ${ticks} times during the listing`);
  }));
