import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { TopApp } from '../../src/tui/app.js';
import { TopFeed } from '../../src/tui/feed.js';
import { initialUi } from '../../src/tui/keys.js';
import { TopModel } from '../../src/tui/model.js';
import { TopView } from '../../src/tui/view.js';
import { KNOWN, T0, batchOf } from '../helpers/top-input.js';

/** Colours (SGR sequences) only: Ink's other sequences stand for spaces here. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const plain = (s: string | undefined): string => (s ?? '').replace(SGR, '');
const lineOf = (frame: string, word: string): string => frame.split('\n').find((l) => l.includes(word)) ?? '';

function knownModel(): TopModel {
  const m = new TopModel();
  m.tick(T0);
  m.add(batchOf(KNOWN), null, KNOWN.length);
  m.tick(T0 + 2000);
  return m;
}

test('a frame shows the known numbers: rates, totals, ranking and the log', () => {
  const snap = knownModel().snapshot('user', 'read/s', 50);
  const { lastFrame } = render(<TopView snap={snap} ui={initialUi('')} width={100} height={30} source="test" />);
  const f = plain(lastFrame());
  assert.match(f, /smbta-top test 5 records, ops 3\/s/);
  assert.match(lineOf(f, 'read  '), /read\s+1\.5 MiB\/s/);
  assert.match(lineOf(f, 'write '), /write\s+2\.5 MiB\/s/);
  assert.match(lineOf(f, 'USER (2)'), /READ\/s\s+WRITE\/s\s+OPS\/s\s+READ\s+WRITTEN\s+OPS/);
  assert.match(lineOf(f, 'bob '), /bob\s+1\.5 MiB\/s\s+512\.0 KiB\/s\s+2\s+3\.0 MiB\s+1\.0 MiB\s+3$/);
  assert.match(lineOf(f, 'eve '), /eve\s+0 B\/s\s+2\.0 MiB\/s\s+1\s+0 B\s+4\.0 MiB\s+2$/);
  assert.ok(f.indexOf('bob ') < f.indexOf('eve '), 'busiest reader first');
  assert.match(f, /10:00:01 rename\s+eve\s+projects\s+0 B\s+x/);
  assert.match(f, /g group {2}s sort/);
});

test('a 40-column terminal keeps name, read/s and write/s and no line is wider', () => {
  const snap = knownModel().snapshot('path', 'total', 50);
  const { lastFrame } = render(<TopView snap={snap} ui={initialUi('')} width={40} height={20} source="test" />);
  const f = plain(lastFrame());
  assert.match(lineOf(f, 'PATH (4)'), /PATH \(4\)\s+READ\/s\s+WRITE\/s$/);
  assert.doesNotMatch(f, /OPS\/s|WRITTEN/);
  for (const line of f.split('\n')) assert.ok([...line].length <= 40, `too wide: ${JSON.stringify(line)}`);
  assert.ok(f.split('\n').length <= 20);
});

test('names with newlines or escapes stay on one line', () => {
  const m = new TopModel();
  m.add(batchOf([{ ...KNOWN[0]!, user: 'a\nb', path: 'line\nbreak\u001b[2J' }]), null, 1);
  m.tick(T0 + 1000);
  const { lastFrame } = render(<TopView snap={m.snapshot('user', 'read/s', 5)} ui={initialUi('')} width={100} height={14} source="test" />);
  const f = plain(lastFrame());
  assert.match(f, /^a\\nb /m);
  assert.match(f, /line\\nbreak\\u001b\[2J$/m);
});

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

/** Waits (bounded) until the last frame satisfies `ok`, so a loaded machine only makes it slower. */
async function until(frame: () => string, ok: (f: string) => boolean, what: string): Promise<string> {
  for (const end = Date.now() + 5000; Date.now() < end; await tick()) if (ok(frame())) return frame();
  assert.fail(`${what}; last frame:\n${frame()}`);
}

test('keys switch grouping and sort; a wrong filter shows its column and keeps the old one; a right one applies', async (t) => {
  const feed = new TopFeed({ replaySpeed: 0, filter: undefined, signal: new AbortController().signal });
  await feed.add(batchOf(KNOWN), null, KNOWN.length);
  feed.tick();
  const app = render(<TopApp feed={feed} initial={initialUi('')} source="test" refreshMs={60_000} keys />);
  t.after(() => app.unmount());
  const frame = (): string => plain(app.lastFrame());
  await until(frame, (f) => /USER \(2\)/.test(f), 'the first frame');
  app.stdin.write('g');
  await until(frame, (f) => /SHARE \(2\)/.test(f) && /by share, sorted by read\/s/.test(f), 'grouped by share');
  app.stdin.write('s');
  await until(frame, (f) => /sorted by write\/s/.test(f) && f.indexOf('home ') < f.indexOf('projects '), 'sorted by write/s, home first (it wrote the most)');
  app.stdin.write('/');
  await tick();
  for (const ch of 'usr=bob') app.stdin.write(ch);
  app.stdin.write('\r');
  await until(frame, (f) => f.includes('^ unknown field'), 'the mistake shown');
  const err = lineOf(frame(), '^ ');
  assert.match(err, /\^ unknown field 'usr'; did you mean 'user'\?/);
  assert.equal(err.indexOf('^'), lineOf(frame(), '/ usr').indexOf('usr'), 'the caret is under the mistake');
  assert.match(frame(), /SHARE \(2\)/, 'the old filter still counts everything');
  app.stdin.write('\u001b');
  await until(frame, (f) => /filter: \(none\)/.test(f), 'typing cancelled');
  app.stdin.write('/');
  await tick();
  for (const ch of 'user=eve') app.stdin.write(ch);
  app.stdin.write('\r');
  await until(frame, (f) => /filter: user=eve/.test(f) && /SHARE \(0\)/.test(f), 'the new filter applied, counting again');
  app.stdin.write('q');
  await tick();
});
