/**
 * smbta-alert against a real smbd, fed by full_audit through smbta-recv: a client renaming
 * 2,000 files raises mass-rename once, soon after the records, and --exec disconnects it with
 * Samba's own smbcontrol; another touching the bait file raises canary once; reading the
 * receiver's file again gives the same alerts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { sambaMissing, SMB_USERS, startSamba } from '../helpers/samba.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { waitUntil } from '../helpers/wait.js';

const skip = sambaMissing();
const FILES = 2000;

interface Said {
  kind: string;
  rule: string;
  group: Record<string, string>;
  time: string;
  value: number;
  client: string;
}

const alertsOf = (text: string): Said[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Said);

test(
  'a mass rename through smbclient is alerted once and the client disconnected by --exec; the bait file too; a replay says the same',
  { skip, timeout: 180000 },
  () =>
    withTmpDir(async (dir) => {
      const samba = await startSamba(dir);
      const pool = samba.sharePath('pool1');
      for (let k = 0; k < FILES; k++) writeFileSync(`${pool}/report${k}.docx`, 'q3\n', { mode: 0o666 });
      writeFileSync(`${pool}/~budget-2026.xlsx`, 'bait\n', { mode: 0o666 });
      const recv = startProc('smbta-recv', ['-i', '0', '--audit-file', samba.log, '-P', '0', '-w', `${dir}/audit.smbta`]);
      const rules = ['--builtin', 'mass-rename', '--canary', '*/~budget-2026.xlsx'];
      const [renamer, , snooper] = SMB_USERS;
      // The response: Samba's own way to disconnect a client, for the mass rename only.
      const response = `[ "$SMBTA_ALERT_RULE" = mass-rename ] || exit 0; echo "$SMBTA_ALERT_USER $SMBTA_ALERT_CLIENT" >> ${dir}/responses; smbcontrol --configfile=${samba.conf} smbd kill-client-ip "$SMBTA_ALERT_CLIENT"`;
      let alert: ReturnType<typeof startProc> | undefined;
      const receivedAt = new Map<string, number>();
      try {
        const port = (await recv.waitFor(/serving readers on 127\.0\.0\.1:(\d+)/))[1]!;
        alert = startProc('smbta-alert', ['-S', `127.0.0.1:${port}`, ...rules, '--json', '--exec', response]);
        await alert.waitFor(/2 rules: mass-rename, canary/);
        alert.proc.stdout!.on('data', () => {
          for (const a of alertsOf(alert!.stdout().toString())) if (!receivedAt.has(a.rule)) receivedAt.set(a.rule, Date.now());
        });
        const bait = await samba.clientAsync('pool1', 'get ~budget-2026.xlsx peek.xlsx', { user: snooper });
        assert.equal(bait.code, 0, bait.stderr);
        const renames = Array.from({ length: FILES }, (_, k) => `rename report${k}.docx report${k}.docx.locked`).join('; ');
        const run = await samba.clientAsync('pool1', renames, { user: renamer });
        assert.notEqual(run.code, 0, 'the renaming client was cut off');
        await waitUntil('the alerts', () => receivedAt.size === 2, 15000);
      } finally {
        await alert?.stop('SIGINT');
        await recv.stop();
        await samba.stop();
      }
      const live = alertsOf(alert.stdout().toString());
      assert.deepEqual(
        live.map((a) => [a.kind, a.rule, a.group]),
        [
          ['alert', 'canary', { user: snooper, client: '127.0.0.1' }],
          ['alert', 'mass-rename', { user: renamer }],
        ],
      );
      for (const a of live)
        assert.ok(
          receivedAt.get(a.rule)! - Date.parse(a.time) < 5000,
          `${a.rule} within 5 s of its record: ${receivedAt.get(a.rule)! - Date.parse(a.time)} ms`,
        );
      assert.equal(readFileSync(`${dir}/responses`, 'utf8'), `${renamer} 127.0.0.1\n`, 'one response');
      const renamed = readdirSync(pool).filter((n) => n.endsWith('.locked')).length;
      assert.ok(renamed > 500 && renamed < FILES, `the disconnect stopped the renames: ${renamed} of ${FILES}`);
      assert.match(alert.stderr(), /--exec ran 2 \(0 failed, 0 dropped\)/);

      // The replay of what the receiver wrote gives the same alerts.
      const replay = await runBin('smbta-alert', ['-r', `${dir}/audit.smbta`, ...rules, '--json']);
      assert.equal(replay.code, 0, replay.stderr);
      assert.deepEqual(alertsOf(replay.stdout.toString()), live);
    }),
);
