import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LanguageError } from '../../src/language/errors.js';
import { parseStatements } from '../../src/query/parser.js';
import { friendlyStatement } from '../../src/query/friendly.js';
import { createRandom } from '../../src/synth/traffic.js';

const NOW = new Date(2026, 10, 24, 12, 0, 0).getTime();

test('every object, time form and command parses to what it says', () => {
  const q = parseStatements(
    'global, user holger since yesterday, total rw; share projects, top 10 files r; file README, share pool, total r; ' +
      'global, search %disk12%; share projects, throughput 50 days r; ' +
      "global, user U, share S from '2026-11-01 00:00:00' to '2026-11-02 00:00:00', top 10 files rw desc; " +
      'domain EX from 09:30 to 10:00:30, list users; system, smbtad-report full; system, self-check; last_activity 5, 24h_usage w, usage rw;',
    NOW,
  );
  assert.deepEqual(
    q.map((x) => x.command.kind),
    ['total', 'top', 'total', 'search', 'throughput', 'top', 'list', 'smbtad-report', 'self-check', 'last_activity', '24h_usage', 'usage'],
  );
  assert.deepEqual(q[0]!.selection.users, [{ name: 'holger' }]);
  assert.equal(q[0]!.selection.from, new Date(2026, 10, 23).getTime());
  assert.deepEqual(q[2]!.selection.files, ['README']);
  assert.deepEqual(q[5]!.selection.shares, ['S']);
  assert.equal(q[5]!.selection.from, new Date(2026, 10, 1).getTime());
  assert.equal(q[5]!.selection.to, new Date(2026, 10, 2).getTime());
  assert.deepEqual(q[6]!.selection.domains, ['EX'], 'domain keeps its time, unlike the original');
  assert.equal(q[6]!.selection.to, new Date(2026, 10, 24, 10, 0, 30).getTime());
  assert.deepEqual(q[4]!.command, { kind: 'throughput', n: 50, unit: 'days', mode: 'r' });
  assert.deepEqual(parseStatements("user 'EX\\bob', user 'it''s', total w", NOW)[0]!.selection.users, [{ name: 'bob', domain: 'EX' }, { name: "it's" }]);
  assert.equal(parseStatements('SELECT 1 AS one', NOW)[0]!.command.kind, 'sql');
});

test('the command-line form is the statement it means, names quoted', () => {
  assert.equal(
    friendlyStatement(['top', 'users'], { since: 'yesterday', share: ['projects'], limit: 10, mode: 'rw' }),
    'global since yesterday, share projects, top 10 users rw desc;',
  );
  assert.equal(
    friendlyStatement(['top', '3', 'file'], { user: ["x' OR '1'='1"], limit: 10, mode: 'w', asc: true }),
    "user 'x'' OR ''1''=''1', top 3 files w asc;",
  );
  assert.equal(friendlyStatement(['report', 'full'], { limit: 10, mode: 'rw' }), 'system, smbtad-report full;');
  assert.throws(() => friendlyStatement(['frobnicate'], { limit: 10, mode: 'rw' }), /'frobnicate' is not a question/);
});

test('garbage, truncation and absurd lengths give syntax errors with a column, never a crash or a hang', () => {
  const rnd = createRandom(9);
  const words = ['global', 'share', 'user', 'top', '10', 'users', 'rw', ',', ';', "'", 'from', 'to', 'since', 'today', 'x', '%', 'usage', 'system', '\n', '#'];
  for (let k = 0; k < 3000; k++) {
    const text = Array.from({ length: Math.floor(rnd() * 12) }, () =>
      rnd() < 0.1 ? String.fromCharCode(Math.floor(rnd() * 0x3000)) : words[Math.floor(rnd() * words.length)]!,
    ).join(rnd() < 0.5 ? ' ' : '');
    try {
      parseStatements(text, NOW);
    } catch (err) {
      assert.ok(err instanceof LanguageError, `${JSON.stringify(text)}: ${String(err)}`);
      assert.ok(err.loc.start >= 0 && err.loc.start <= err.source.body.length + 1, JSON.stringify(text));
    }
  }
  const full = 'share projects since yesterday, top 10 users rw desc;';
  for (let n = 0; n < full.length; n++) {
    try {
      parseStatements(full.slice(0, n), NOW);
    } catch (err) {
      assert.ok(err instanceof LanguageError);
    }
  }
  const huge = `share ${'x'.repeat(1_000_000)}, total rw;`;
  assert.deepEqual(parseStatements(huge, NOW)[0]!.selection.shares[0]!.length, 1_000_000);
  assert.equal(parseStatements('total rw;'.repeat(10_000), NOW).length, 10_000);
  assert.throws(() => parseStatements("share 'open, total rw;", NOW), /unterminated quote/);
  assert.throws(() => parseStatements('global, smbtad-report full;', NOW), /smbtad-report is a system command: write 'system, smbtad-report full;'/);
  assert.throws(() => parseStatements('global;', NOW), /no command in 'global;'/);
});

test("a '#' is a comment only at the start of a line; elsewhere it is text", () => {
  const q = parseStatements('# the plans\nglobal, search %#%;\n  # indented comment\nshare a#b, total rw;', NOW);
  assert.deepEqual(
    q.map((x) => x.command),
    [
      { kind: 'search', pattern: '%#%' },
      { kind: 'total', mode: 'rw' },
    ],
  );
  assert.deepEqual(q[1]!.selection.shares, ['a#b']);
});

test("the original's forms: usage W H MODE, self-check online|offline, unpadded times", () => {
  const q = parseStatements(
    "usage 60 12 rw; system, self-check online; system, self-check offline; global from 2026-11-4 to '2026-11-24 9:05:00', total r;",
    NOW,
  );
  assert.deepEqual(q[0]!.command, { kind: 'usage', mode: 'rw', width: 60, rows: 12 });
  assert.deepEqual(q[1]!.command, { kind: 'self-check', scope: 'online' });
  assert.deepEqual(q[2]!.command, { kind: 'self-check', scope: 'offline' });
  assert.equal(q[3]!.selection.from, new Date(2026, 10, 4).getTime());
  assert.equal(q[3]!.selection.to, new Date(2026, 10, 24, 9, 5).getTime());
  assert.throws(() => parseStatements('system, self-check sideways;', NOW), /expected online, offline, found 'sideways'/);
});
