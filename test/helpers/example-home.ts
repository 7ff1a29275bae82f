/**
 * The files the documentation's examples read, made here: a day of traffic (today, so
 * `--since yesterday`, `-t 10:00-11:00` and `today` find it) as day.smbta and day.smbta.bz2,
 * the same day as an hourly archive under archive/2026-11-23/, captures of a real Samba
 * session on port 445 (monday.pcapng) and on a test port (lab.pcap), keys, and the site's
 * certificates.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SmbRecord } from '../../src/record/fields.js';
import { createTraffic } from '../../src/synth/traffic.js';
import { encodeRecords } from './stream.js';
import { moveTcpPort } from './pcap.js';
import { makeExamplePki } from './pki.js';
import { ROOT } from './run-bin.js';

export const DAY_RECORDS = 20_000;
export const KEY = 'Sixteen-chars!!!';

/** A day's records (UTC, as the tests' TZ; today unless `daysAgo`), with a `disk12` name and one 200 MiB read. */
export function dayRecords(daysAgo = 0): SmbRecord[] {
  const now = new Date();
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo);
  const t = createTraffic({ seed: 11, users: 30, files: 300, start, gapMs: 4000 });
  const recs = Array.from({ length: DAY_RECORDS }, () => t.next());
  const at = (k: number): SmbRecord => recs[k] ?? recs[0]!;
  recs[100] = { ...at(100), op: 8, path: 'media/disk12.iso', share: 'media' };
  recs[5000] = { ...at(5000), op: 0, user: 'bob', share: 'media', path: 'media/disk12.iso', bytes: 200 << 20 };
  return recs;
}

/**
 * Ten minutes of a ransomware attack, on this week's Monday morning: mallory's client renames 800 files to .locked
 * within a minute and leaves a note, among the day's ordinary traffic; eve opens the bait file.
 */
export function attackRecords(): SmbRecord[] {
  const now = new Date();
  // This week's Monday at 09:00 UTC: within working hours whatever day the tests run.
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7), 9);
  const t = createTraffic({ seed: 5, users: 30, files: 300, start, gapMs: 500 });
  const recs = Array.from({ length: 1200 }, () => t.next());
  const like = recs[0]!;
  for (let k = 0; k < 800; k++) {
    const time = start + 120_000 + k * 50;
    recs.push({
      ...like,
      time,
      end: time,
      op: 6,
      user: 'mallory',
      client: '10.0.0.66',
      share: 'projects',
      path: `q3/report${k}.docx`,
      path2: `q3/report${k}.docx.locked`,
      bytes: 0,
    });
  }
  const note = start + 170_000;
  recs.push({
    ...like,
    time: note,
    end: note,
    op: 2,
    user: 'mallory',
    client: '10.0.0.66',
    share: 'projects',
    path: 'q3/HOW_TO_DECRYPT.txt',
    path2: '',
    bytes: 2048,
  });
  const bait = start + 300_000;
  recs.push({
    ...like,
    time: bait,
    end: bait,
    op: 8,
    user: 'eve',
    client: '10.0.0.77',
    share: 'finance',
    path: 'finance/~budget-2026.xlsx',
    path2: '',
    bytes: 0,
  });
  return recs.sort((a, b) => a.time - b.time);
}

export function makeExampleHome(home: string): void {
  mkdirSync(home, { recursive: true });
  const recs = dayRecords();
  writeFileSync(join(home, 'day.smbta'), encodeRecords(recs, 1000));
  writeFileSync(join(home, 'yesterday.smbta'), encodeRecords(dayRecords(1), 1000));
  writeFileSync(join(home, 'attack.smbta'), encodeRecords(attackRecords(), 100));
  const bz = spawnSync('bzip2', ['-k', '-f', join(home, 'day.smbta')]);
  if (bz.status !== 0) throw new Error(`bzip2: ${bz.stderr.toString()}`);
  const dir = join(home, 'archive', '2026-11-23');
  mkdirSync(dir, { recursive: true });
  const byHour = new Map<number, SmbRecord[]>();
  for (const r of recs) {
    const h = new Date(r.time).getUTCHours();
    byHour.set(h, [...(byHour.get(h) ?? []), r]);
  }
  for (const [h, rs] of byHour) writeFileSync(join(dir, `smbta.${String(h).padStart(2, '0')}00.smbta`), encodeRecords(rs, 500));
  const capture = readFileSync(join(ROOT, 'test/fixtures/smb2-session.pcapng'));
  writeFileSync(join(home, 'monday.pcapng'), moveTcpPort(capture, 44500, 445));
  copyFileSync(join(ROOT, 'test/fixtures/smb2-session.pcapng'), join(home, 'lab.pcap'));
  writeFileSync(join(home, 'key'), `${KEY}\n`);
  writeFileSync(join(home, 'anon.key'), 'a long secret for keyed pseudonyms\n');
  makeExamplePki(home);
}
