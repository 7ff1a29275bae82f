/**
 * docs/deploy.md is run as written: every unit, cron line and smb.conf block parses, and
 * every smbta command in them is accepted by that program's own option parser.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseArgs } from '../../src/cli/parse.js';
import { DEFAULT_PREFIX, MAPPED_OPERATIONS } from '../../src/audit/full-audit.js';
import { PROGRAMS } from '../../src/commands/index.js';
import { ROOT } from '../helpers/run-bin.js';

const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
const blocks = [...doc.matchAll(/```(\w+)\n# file: ([^\n]+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, file: m[2]!, body: m[3]! }));

/** `[section]` → key → values, as systemd and Samba read INI (`;` and `#` comments). */
function parseIni(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, k) => {
    const line = raw.replace(/\s[;#].*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) return void out.set(head[1]!, (section = new Map<string, string[]>()));
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    assert.ok(kv && section, `line ${k + 1}: not INI: ${raw}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  });
  return out;
}

/** Shell words of a simple command (no quoting beyond single quotes, which these lines use). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** The documented config files, written out, so commands with -c read what the page shows. */
const configDir = mkdtempSync(join(tmpdir(), 'smbta-deploy-'));
after(() => rmSync(configDir, { recursive: true, force: true }));
const configs = new Map(
  blocks.filter((b) => b.file.endsWith('.ini') && b.file.startsWith('/etc/smbta/')).map((b) => [b.file, join(configDir, b.file.split('/').at(-1)!)]),
);
for (const b of blocks) if (configs.has(b.file)) writeFileSync(configs.get(b.file)!, b.body);

async function accepts(command: string): Promise<void> {
  const [path, ...args] = words(command).map((w) => configs.get(w) ?? w);
  const name = path!.split('/').at(-1)!;
  const program = PROGRAMS.find((p) => p.name === name);
  assert.ok(program, `${name}: not an smbta program`);
  await assert.doesNotReject(
    parseArgs(program, args, async () => PROGRAMS),
    `${command}`,
  );
}

test('deploy.md: the systemd units parse and start real smbta commands with real options', async () => {
  const units = blocks.filter((b) => b.file.endsWith('.service'));
  assert.equal(units.length, 6);
  for (const u of units) {
    const ini = parseIni(u.body);
    assert.deepEqual([...ini.keys()], ['Unit', 'Service', 'Install'], u.file);
    assert.ok(ini.get('Unit')!.get('Description'), u.file);
    assert.equal(ini.get('Install')!.get('WantedBy')![0], 'multi-user.target');
    const exec = ini.get('Service')!.get('ExecStart')!;
    assert.equal(exec.length, 1);
    if (exec[0]!.includes(' -c ')) assert.deepEqual(ini.get('Service')!.get('ExecReload'), ['/bin/kill -HUP $MAINPID'], 'a unit with -c reloads it');
    assert.match(exec[0]!, /^\/usr\/local\/bin\/smbta-/, 'systemd wants absolute paths');
    await accepts(exec[0]!);
  }
});

test('deploy.md: the cron lines have five time fields and real smbta commands', async () => {
  const cron = blocks.find((b) => b.lang === 'cron')!;
  const all = cron.body.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  // cron's own PATH (/usr/bin:/bin) does not reach npm's /usr/local/bin.
  assert.match(all[0] ?? '', /^PATH=\/usr\/local\/bin:/);
  const lines = all.filter((l) => !/^[A-Z]+=/.test(l));
  assert.equal(lines.length, 5);
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    fields.slice(0, 5).forEach((f) => assert.match(f, /^(\*|\d+(-\d+)?(,\d+)*)(\/\d+)?$/, line));
    // cron turns % into newlines unless escaped: every % must be \%.
    assert.doesNotMatch(line, /(^|[^\\])%/, `unescaped % in: ${line}`);
    const command = fields
      .slice(5)
      .join(' ')
      .replace(/\\%/g, '%')
      .replace(/\$\(date[^)]*\)/g, '2026-11-23');
    for (const part of command
      .split('&&')
      .map((p) => p.trim())
      .filter((p) => p.startsWith('smbta-')))
      await accepts(part);
  }
});

test('deploy.md: the smb.conf block points the module at the receiver the unit starts', () => {
  const conf = parseIni(blocks.find((b) => b.file.endsWith('smb.conf'))!.body);
  const share = conf.get('projects')!;
  assert.deepEqual(share.get('vfs objects'), ['smb_traffic_analyzer']);
  assert.deepEqual(share.get('smb_traffic_analyzer:protocol_version'), ['V2']);
  const recv = blocks.find((b) => b.file.endsWith('smbta-recv.service'))!.body;
  assert.match(recv, new RegExp(`-i ${share.get('smb_traffic_analyzer:port')![0]} `));
});

test('deploy.md: vfs_smbta comes first, pointed at the Unix socket the receiver unit listens on', () => {
  const samba = blocks.filter((b) => b.file.startsWith('/etc/samba/smb.conf'));
  assert.match(samba[0]!.file, /Samba 4\.17 and later, vfs_smbta/);
  const share = parseIni(samba[0]!.body).get('pool1')!;
  assert.deepEqual(share.get('vfs objects'), ['smbta']);
  const recv = blocks.find((b) => b.file.endsWith('smbta-recv.service'))!.body;
  assert.match(recv, new RegExp(` -u ${share.get('smbta:socket')![0]} `));
  assert.match(doc, /`scripts\/build-vfs-module\.sh`/, 'the page says how to build the module');
});

test('deploy.md: full_audit is set up with the prefix the receiver expects, operations it maps, and syslog sent to its --audit-udp port', () => {
  const conf = parseIni(blocks.find((b) => b.file.startsWith('/etc/samba/smb.conf (Samba 4.4'))!.body);
  const share = conf.get('pool1')!;
  assert.deepEqual(share.get('vfs objects'), ['full_audit']);
  assert.deepEqual(share.get('full_audit:prefix'), [DEFAULT_PREFIX], 'the receiver reads the default prefix');
  for (const key of ['full_audit:success', 'full_audit:failure']) {
    for (const op of share.get(key)![0]!.split(/\s+/)) assert.ok(MAPPED_OPERATIONS.includes(op), `${key}: ${op} is not an operation smbta records`);
  }
  const facility = share.get('full_audit:facility')![0]!.toLowerCase();
  const rsyslog = blocks
    .find((b) => b.file === '/etc/rsyslog.d/smbta.conf')!
    .body.trim()
    .split('\n');
  const m = /^(\w+)\.(\w+) @127\.0\.0\.1:(\d+)$/.exec(rsyslog[0] ?? '')!;
  assert.equal(rsyslog[1], '& stop', 'the audit lines stay out of /var/log/syslog');
  assert.equal(m[1], facility);
  assert.equal(m[2], share.get('full_audit:priority')![0]!.toLowerCase());
  assert.match(blocks.find((b) => b.file.endsWith('smbta-recv.service'))!.body, new RegExp(`--audit-udp ${m[3]} `));
});
