import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { BUILTIN_RULES, builtinRules, canaryRule } from '../../src/alert/builtin.js';
import { AlertEngine, extensionOf, type SavedBaselines } from '../../src/alert/engine.js';
import { alertFromJson, alertJson, type Alert } from '../../src/record/alert.js';
import { formatAlert } from '../../src/format/alert-line.js';
import { syslogMessage } from '../../src/alert/syslog-out.js';
import { parseRules, withinHours, type Rule } from '../../src/alert/rules.js';
import { formatLanguageError, LanguageError } from '../../src/language/errors.js';
import { emptyRecord, opId, type SmbRecord } from '../../src/record/fields.js';
import { BatchBuilder } from '../../src/stream/builder.js';
import { ROOT } from '../helpers/run-bin.js';

const T0 = Date.UTC(2026, 11, 7, 10);

function rec(k: number, o: Omit<Partial<SmbRecord>, 'op'> & { op: string }): SmbRecord {
  const time = o.time ?? T0 + k * 50;
  return { ...emptyRecord(), user: 'mallory', client: '10.0.0.66', share: 'projects', path: `f${k}.docx`, ...o, time, end: time, op: opId(o.op) };
}

/** The alerts `rules` raise over `records`, fed in batches of `batch` records. */
function alerts(rules: Rule[], records: SmbRecord[], batch = 1000, maxGroups?: number): Alert[] {
  const out: Alert[] = [];
  const engine = new AlertEngine(rules, (a) => out.push(a), maxGroups);
  for (let i = 0; i < records.length; i += batch) {
    const b = new BatchBuilder();
    for (const r of records.slice(i, i + batch)) b.add(r);
    const built = b.toBatch();
    engine.batch(built, null, built.length);
  }
  engine.finish();
  assert.equal(engine.stats.evictedGroups, 0);
  return out;
}

const builtin = (name: string): Rule[] => [builtinRules().get(name)!];
const fired = (name: string, records: SmbRecord[]): string[] => alerts(builtin(name), records).map((a) => `${a.kind} ${a.group.user}`);
const many = (n: number, o: (k: number) => Omit<Partial<SmbRecord>, 'op'> & { op: string }): SmbRecord[] => Array.from({ length: n }, (_, k) => rec(k, o(k)));

const MiB = 1 << 20;
/** A read of `bytes` at noon (local time) of day `d` from 2026-11-20; a day with none for 0 bytes. */
const dayRead = (d: number, bytes: number): SmbRecord[] =>
  bytes ? [rec(0, { op: 'pread', bytes, path: 'big.iso', time: new Date(2026, 10, 20 + d, 12).getTime() })] : [];
const days = (n: number, bytes: number, from = 0): SmbRecord[] => Array.from({ length: n }, (_, d) => dayRead(from + d, bytes)).flat();

test('each built-in rule fires above its threshold and not at or below it', () => {
  const cases: [string, SmbRecord[], SmbRecord[]][] = [
    ['mass-rename', many(501, (k) => ({ op: 'rename', path2: `f${k}.x` })), many(500, (k) => ({ op: 'rename', path2: `f${k}.x` }))],
    ['mass-delete', many(501, () => ({ op: 'delete' })), many(501, (k) => ({ op: 'delete', time: T0 + k * 200 }))], // 501 over 100 s
    ['mass-write', many(301, () => ({ op: 'write', bytes: 10 })), many(3000, () => ({ op: 'write', bytes: 10, path: 'one.db' }))],
    ['new-extensions', many(21, (k) => ({ op: 'write', path: `a.e${k}` })), many(400, (k) => ({ op: 'write', path: `a${k}.e${k % 20}` }))],
    [
      'ransomware-extension',
      [rec(0, { op: 'rename', path: 'q3.docx', path2: 'q3.docx.LOCKED' })],
      [rec(0, { op: 'rename', path: 'q3.docx', path2: 'q3.old.docx' })],
    ],
    ['ransom-note', [rec(0, { op: 'write', path: 'q3/How_To_Decrypt_Files.html' })], [rec(0, { op: 'write', path: 'q3/readme.txt' })]],
    // Local time (--tz): a Sunday night is outside 07:00-19:00 mon-fri, a Monday morning within.
    [
      'outside-hours',
      many(201, (k) => ({ op: 'open', time: new Date(2026, 11, 6, 3, 0, k).getTime() })),
      many(500, (k) => ({ op: 'open', time: new Date(2026, 11, 7, 10, 0, k).getTime() })),
    ],
    // Ten days of 200 MiB, then a day of 1.5 GiB (over 5 times the usual and 1 GiB); not: 900 MiB, or the big day too soon.
    ['unusual-download', [...days(10, 200 * MiB), ...dayRead(10, 1536 * MiB)], [...days(10, 200 * MiB), ...dayRead(10, 900 * MiB), ...dayRead(11, 1000 * MiB)]],
    ['unusual-download', [...dayRead(0, MiB), ...days(7, 200 * MiB, 7), ...dayRead(14, 1536 * MiB)], [...days(6, 200 * MiB), ...dayRead(6, 5 * 1024 * MiB)]],
    ['failed-opens', many(101, () => ({ op: 'open', result: -1 })), [...many(100, () => ({ op: 'open', result: -1 })), ...many(500, () => ({ op: 'open' }))]],
  ];
  for (const [name, fires, not] of cases) {
    assert.deepEqual(fired(name, fires), ['alert mallory'], `${name} fires`);
    assert.deepEqual(fired(name, not), [], `${name} stays quiet`);
  }
  const bait = [canaryRule(['*/~budget-2026.xlsx'])];
  assert.deepEqual(
    alerts(bait, [rec(0, { op: 'open', user: 'eve', path: 'finance/~budget-2026.xlsx' })]).map((a) => formatAlert(a)),
    ['2026-12-07T10:00:00Z ALERT critical canary user=eve client=10.0.0.66: 1 operation in 1h (above 0 operations); finance/~budget-2026.xlsx'],
  );
  assert.deepEqual(alerts(bait, [rec(0, { op: 'open', path: 'finance/budget-2026.xlsx' })]), []);
});

test('one alert per group until it has been quiet, then a cleared; each group apart', () => {
  const burst = (start: number, user: string): SmbRecord[] => many(600, (k) => ({ op: 'rename', user, path2: 'x', time: start + k * 50 }));
  const got = alerts(
    builtin('mass-rename'),
    [...burst(T0, 'mallory'), ...burst(T0 + 40_000, 'trudy'), ...burst(T0 + 3_600_000, 'mallory')].sort((a, b) => a.time - b.time),
  );
  assert.deepEqual(
    got.map((a) => `${new Date(a.time).toISOString().slice(11, 19)} ${a.kind} ${a.group.user}`),
    ['10:00:25 alert mallory', '10:01:05 alert trudy', '10:10:29 cleared mallory', '10:11:09 cleared trudy', '11:00:25 alert mallory'],
  );
});

test('record time, not wall time: the alerts are the same however the records are cut into batches', () => {
  const records = [
    ...many(700, (k) => ({ op: 'rename', path2: `f${k}.locky` })),
    ...many(200, (k) => ({ op: 'open', user: 'bob', result: -1, time: T0 + 90_000 + k })),
  ];
  const rules = [...builtinRules().values()];
  const whole = alerts(rules, records, records.length);
  assert.ok(whole.length >= 3);
  for (const size of [1, 7, 100]) assert.deepEqual(alerts(rules, records, size), whole, `batches of ${size}`);
});

test('the groups of a batch far from the threshold add up in bulk, with the alerts record by record gives', () => {
  // With room for only the 12 groups there are, a batch whose strings could number more
  // groups goes record by record: the two ways must agree on every alert and cleared.
  const record = fc.record({
    gap: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constant(-5000)),
    user: fc.constantFrom('ann', 'bob', 'cy', 'di'),
    share: fc.constantFrom('s1', 's2', 's3'),
    client: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    op: fc.constantFrom('read', 'write', 'open', 'rename', 'delete'),
    bytes: fc.constantFrom(0, 100, 5000),
    result: fc.constantFrom(0, 0, -1),
    path: fc.constantFrom('a.docx', 'b.xlsx', 'c/d.txt', 'e.docx', 'f', 'g.pdf', 'h.xlsx', 'i.txt'),
    path2: fc.constantFrom('', '', 'j.locked', 'k.enc'),
  });
  const rule = fc.record({
    select: fc.constantFrom('', 'select = write or read\n', 'select = not open\n'),
    by: fc.constantFrom('user', 'share', 'client', 'user,share'),
    measure: fc.constantFrom('operations', 'bytes', 'failures', 'paths', 'extensions'),
    over: fc.constantFrom('2s', '10s', '1m'),
    above: fc.integer({ min: 0, max: 20 }),
    quiet: fc.constantFrom('1s', '5s', '30s'),
  });
  fc.assert(
    fc.property(
      fc.array(record, { minLength: 1, maxLength: 600 }),
      fc.array(rule, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 300 }),
      (rs, defs, size) => {
        let time = T0;
        const records = rs.map(({ gap, ...r }, k) => rec(k, { ...r, time: (time += gap) }));
        const text = defs.map(
          (d, k) =>
            `[rule r${k}]\n${d.select}by = ${d.by}\nmeasure = ${d.measure}\nover = ${d.over}\nabove = ${d.measure === 'bytes' ? d.above * 1000 : d.measure === 'paths' || d.measure === 'extensions' ? d.above % 6 : d.above}\nquiet-for = ${d.quiet}\n`,
        );
        const rules = parseRules(text.join('\n'));
        assert.deepEqual(alerts(rules, records, size), alerts(rules, records, size, 12));
      },
    ),
    { numRuns: 300 },
  );
});

test('groups are bounded: the least recently active is forgotten, and counted', () => {
  const [rule] = parseRules('[rule busy]\nby = user\nmeasure = operations\nover = 1m\nabove = 1\n');
  const engine = new AlertEngine([rule!], () => undefined, 100);
  const b = new BatchBuilder();
  for (let k = 0; k < 1000; k++) b.add(rec(k, { op: 'open', user: `u${k}` }));
  const built = b.toBatch();
  engine.batch(built, null, built.length);
  assert.equal(engine.stats.evictedGroups, 900);
});

test('a rule file: [rule NAME] sections beside program sections; every mistake at file:line:col with a caret', () => {
  const rules = parseRules(
    '[smbta-alert]\nbuiltin = all\n\n[rule big-download]  ; comments as in every config\nselect = read and share=media\nby = user, client\nmeasure = bytes\nover = 1h\nabove = 10G\nseverity = low\n',
    'site.ini',
  );
  assert.deepEqual(
    rules.map((r) => [r.name, r.by, r.measure, r.overMs, r.above, r.quietForMs, r.severity]),
    [['big-download', ['user', 'client'], 'bytes', 3_600_000, 10 * 1024 ** 3, 3_600_000, 'low']],
  );
  const error = (text: string): string => {
    try {
      parseRules(text, 'site.ini');
    } catch (e) {
      assert.ok(e instanceof LanguageError);
      return formatLanguageError(e);
    }
    return 'no error';
  };
  assert.equal(
    error('[rule a]\nselect = user=bob and\nmeasure = operations\nover = 1m\nabove = 5\n').split('\n')[0],
    'site.ini:2:22: expected a field name, found end of expression',
  );
  assert.equal(
    error('[rule a]\nmeasure = operation\nover = 1m\nabove = 5\n'),
    "site.ini:2:11: unknown measure 'operation'; measures are operations, bytes, paths, extensions, failures\n  measure = operation\n            ^^^^^^^^^",
  );
  assert.equal(error('[rule a]\nmesure = bytes\n').split('\n')[0], "site.ini:2:1: unknown key 'mesure' in [rule a]; did you mean 'measure'?");
  assert.equal(error('[rule a]\nmeasure = bytes\nover = 1m\nabove = lots\n').split('\n')[0], 'site.ini:4:9: above = lots: expected a size (10G, 500M)');
  assert.equal(
    error('[rule a]\nby = usr\nmeasure = bytes\nover = 1m\nabove = 1\n').split('\n')[0],
    "site.ini:2:6: unknown field 'usr' in by; did you mean 'user'?",
  );
  assert.equal(error('[rule a]\nmeasure = bytes\n').split('\n')[0], "site.ini:1:1: [rule a] needs 'over = ...'");
  assert.equal(error('[rule a b]\n').split('\n')[0], 'site.ini:1:1: a rule section is [rule NAME] (letters, digits, . _ -)');
  const base = '[rule a]\nmeasure = bytes\nover = 1d\nabove = 1G\n';
  assert.equal(error(`${base}baseline = 36h\n`).split('\n')[0], "site.ini:5:12: baseline = 36h: expected a duration of two or more whole 'over' periods (14d)");
  assert.equal(error(`${base}baseline = 14d\ntimes = many\n`).split('\n')[0], 'site.ini:6:9: times = many: expected a number above 0 (5, 2.5)');
  assert.equal(error(`${base}times = 5\n`).split('\n')[0], "site.ini:5:9: 'times' compares with a group's usual: it needs 'baseline = ...' (14d)");
  assert.equal(
    error('[rule a]\nmeasure = paths\nover = 1d\nabove = 1\nbaseline = 7d\n').split('\n')[0],
    'site.ini:5:12: a baseline is kept of sums: measure operations, bytes or failures, not paths',
  );
});

test('a baseline kept by --state: a restart remembers the usual; a changed rule, or a damaged state, starts learning', () => {
  const [rule] = [builtinRules().get('unusual-download')!];
  const first = new AlertEngine([rule], () => undefined);
  const history = new BatchBuilder();
  for (const r of days(10, 200 * MiB)) history.add(r);
  const h = history.toBatch();
  first.batch(h, null, h.length);
  const saved = JSON.parse(JSON.stringify(first.baselines())) as SavedBaselines;
  const after = (engine: AlertEngine, out: Alert[]): Alert[] => {
    const b = new BatchBuilder();
    for (const r of dayRead(10, 1536 * MiB)) b.add(r);
    const built = b.toBatch();
    engine.batch(built, null, built.length);
    return out;
  };
  const restarted = (state: SavedBaselines, r: Rule = rule): [number, Alert[]] => {
    const out: Alert[] = [];
    const engine = new AlertEngine([r], (a) => out.push(a));
    return [engine.restoreBaselines(state), after(engine, out)];
  };
  const [restored, got] = restarted(saved);
  assert.equal(restored, 1);
  assert.deepEqual(
    got.map((a) => [a.rule, a.group.user, a.value, a.above]),
    [['unusual-download', 'mallory', 1536 * MiB, 1024 * MiB]],
  );
  assert.deepEqual(restarted({})[1], [], 'without the state: learning');
  assert.deepEqual(restarted(saved, { ...rule, times: 4 }), [0, []], 'a changed rule starts learning');
  const damaged = { 'unusual-download': { ...saved['unusual-download']!, groups: [{ names: { user: 'mallory' }, base: { first: 'x' } }] } };
  assert.deepEqual(restarted(damaged as unknown as SavedBaselines), [0, []]);
});

test('extensions: the last dot of the name, lower-cased; none for dot files and plain names', () => {
  assert.deepEqual(['a/b.final.DOCX', 'a.b/c', '.bashrc', 'x.'].map(extensionOf), ['docx', '', '', '']);
});

test('new rules (SIGHUP): a rule kept as it was keeps its windows and its alert; a changed one starts empty', () => {
  const out: Alert[] = [];
  const [a, b] = parseRules('[rule a]\nmeasure = operations\nover = 1h\nabove = 2\n[rule b]\nmeasure = operations\nover = 1h\nabove = 3\n');
  const engine = new AlertEngine([a!, b!], (x) => out.push(x));
  const feed = (k: number): void => {
    const builder = new BatchBuilder();
    builder.add(rec(k, { op: 'open' }));
    const built = builder.toBatch();
    engine.batch(built, null, 1);
  };
  [0, 1].forEach(feed);
  const [b2] = parseRules('[rule b]\nmeasure = operations\nover = 1h\nabove = 1\n');
  engine.setRules([b2!, a!]);
  [2, 3].forEach(feed);
  // a had two in its window and alerts at the third; b, changed, starts again and alerts at its second.
  assert.deepEqual(
    out.map((x) => `${x.rule} ${x.value}`),
    ['a 3', 'b 2'],
  );
});

test('syslog and CEF escape what would break their framing', () => {
  const a: Alert = {
    kind: 'alert',
    rule: 'odd',
    severity: 'critical',
    time: T0,
    group: { user: 'o"brien]\\x' },
    measure: 'operations',
    value: 1,
    above: 0,
    overMs: 60000,
    quietForMs: 60000,
    path: 'a=b|c\nd',
    path2: '',
    client: '::1',
  };
  assert.match(
    syslogMessage(a, 'rfc5424', 'fs1'),
    /^<34>1 2026-12-07T10:00:00\.000Z fs1 smbta-alert \d+ alert \[smbta@32473 .* user="o\\"brien\\]\\\\x" client="::1" path="a=b\|c\nd"\] /,
  );
  assert.match(
    syslogMessage(a, 'cef', 'fs1'),
    /CEF:0\|smbta\|smbta-alert\|[^|]+\|odd\|odd\|10\|rt=\d+ act=alert suser=o"brien]\\\\x src=::1 fname=a\\=b\|c\\nd /,
  );
  assert.match(syslogMessage({ ...a, kind: 'cleared' }, 'rfc5424', 'fs1'), /^<38>1 /);
});

test('the severity in colour when asked (a terminal without NO_COLOR), and never otherwise', () => {
  const a: Alert = {
    kind: 'alert',
    rule: 'r',
    severity: 'critical',
    time: T0,
    group: {},
    measure: 'bytes',
    value: 2048,
    above: 1024,
    overMs: 3_600_000,
    quietForMs: 1,
    path: 'p',
    path2: '',
    client: '',
  };
  assert.equal(formatAlert(a), '2026-12-07T10:00:00Z ALERT critical r: 2.0 KiB in 1h (above 1.0 KiB); p');
  assert.equal(formatAlert(a, true), '2026-12-07T10:00:00Z \x1b[31m\x1b[1mALERT critical\x1b[22m\x1b[39m r: 2.0 KiB in 1h (above 1.0 KiB); p');
  assert.ok(formatAlert({ ...a, kind: 'cleared' }, true).endsWith('\x1b[32mcleared critical\x1b[39m r: quiet for 1ms'));
});

test('working hours: local time, days, a span across midnight; docs/alert.md shows the built-in rules as they are', () => {
  const [night] = parseRules('[rule n]\nhours = 22:00-06:00 sat-sun\nmeasure = operations\nover = 1m\nabove = 0\n');
  const at = (d: number, h: number): number => new Date(2026, 11, d, h).getTime(); // 5 Saturday, 7 Monday
  assert.deepEqual(
    [at(5, 23), at(5, 3), at(5, 12), at(7, 23)].map((t) => withinHours(night!.hours!, t)),
    [true, true, false, false],
  );
  const bad = (() => {
    try {
      parseRules('[rule n]\nhours = 7-19\nmeasure = operations\nover = 1m\nabove = 0\n', 'r.ini');
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  assert.equal(bad, 'hours = 7-19: expected HH:MM-HH:MM, and optionally days (07:00-19:00 mon-fri)');
  assert.ok(readFileSync(`${ROOT}docs/alert.md`, 'utf8').includes(BUILTIN_RULES.trim()), 'docs/alert.md has the built-in rules as written');
});

test('an alert block reads back as the alert written; a body that is not one is ignored', () => {
  const [a] = alerts(
    [builtinRules().get('mass-rename')!],
    Array.from({ length: 501 }, (_, k) => rec(k, { op: 'rename', path2: `f${k}.locked` })),
  );
  assert.deepEqual(alertFromJson(JSON.parse(JSON.stringify(alertJson(a!))) as Record<string, unknown>), a);
  for (const body of [
    {},
    { ...alertJson(a!), kind: 'maybe' },
    { ...alertJson(a!), time: 'never' },
    { ...alertJson(a!), group: [1] },
    { ...alertJson(a!), severity: 9 },
  ])
    assert.equal(alertFromJson(body), undefined, JSON.stringify(body));
});
