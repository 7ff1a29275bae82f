/**
 * The HTML report in a real browser: Debian's Chromium, headless, driven by puppeteer-core,
 * loads the fixture day's report and finds smbta-query's top user and her bytes, the
 * deletes the fixture holds, the alert and the loss; the page logs no error and asks for
 * nothing beyond itself. The screenshot is kept in artifacts/ (docs/report.md shows it).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { OPS } from '../../src/record/fields.js';
import { fixtureRecords, writeReportFixture } from '../helpers/report-fixture.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';

const skip = toolMissing('chromium', 'chromium');
/** Debian's package puts the browser here. */
const CHROMIUM = '/usr/bin/chromium';

test('the HTML report in headless Chromium: the numbers smbta-query gives, no console error, no request beyond the file', { skip, timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    writeReportFixture(`${dir}/day.smbta`);
    const r = await runBin('smbta-report', ['-r', `${dir}/day.smbta`, '--day', '2026-11-23', '--html']);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(`${dir}/report.html`, r.stdout);
    const q = await runBin('smbta-query', ['-r', `${dir}/day.smbta`, '-t', '2026-11-23', '-q', 'global, top 1 users rw;', '--json']);
    const [top] = (JSON.parse(q.stdout.toString()) as { rows: { user: string; domain: string; bytes: number }[] }).rows;
    const deletes = fixtureRecords().day.filter((x) => OPS[x.op] === 'delete' || OPS[x.op] === 'rmdir').length;

    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1000, height: 800 });
      const problems: string[] = [];
      page.on('console', (m) => void (['error', 'warn'].includes(m.type()) && problems.push(`${m.type()}: ${m.text()}`)));
      page.on('pageerror', (e) => void problems.push(`page error: ${String(e)}`));
      const requests: string[] = [];
      page.on('request', (req) => void requests.push(req.url()));
      await page.goto(`file://${dir}/report.html`, { waitUntil: 'load' });
      const shown = await page.evaluate(() => {
        const cells = (sel: string): { text: string; value: string | null }[] =>
          [...document.querySelectorAll(sel)].map((td) => ({ text: td.textContent ?? '', value: td.getAttribute('data-value') }));
        const row = (section: string, first: string): { text: string; value: string | null }[] => {
          const tr = [...document.querySelectorAll(`#${section} tbody tr`)].find((r) => r.firstElementChild?.textContent === first);
          return tr ? [...tr.children].map((td) => ({ text: td.textContent ?? '', value: td.getAttribute('data-value') })) : [];
        };
        return {
          title: document.title,
          topUser: cells('#users tbody tr:first-child td'),
          deletes: row('summary', 'deletes'),
          alerts: document.querySelectorAll('#alerts tbody tr').length,
          lost: row('losses', document.querySelector('#losses tbody tr td')?.textContent ?? ''),
          charts: [...document.querySelectorAll('svg[role=img]')].map((s) => s.querySelector('title')?.textContent),
          scripts: document.scripts.length,
        };
      });
      mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'artifacts', 'report-day.png'), fullPage: true });

      assert.equal(shown.title, 'File server activity: Monday, 23 November 2026');
      assert.equal(shown.topUser[0]!.text, `${top!.domain}\\${top!.user}`);
      assert.equal(Number(shown.topUser[1]!.value) + Number(shown.topUser[2]!.value), top!.bytes, "her bytes, read and written, as smbta-query's");
      assert.equal(Number(shown.deletes[1]!.value), deletes);
      assert.equal(shown.alerts, 1);
      assert.equal(shown.lost[3]!.value, '120');
      assert.deepEqual(shown.charts, ['Volume over time', 'Busiest users', 'Busiest shares', 'Busiest files', 'Busiest clients']);
      assert.equal(shown.scripts, 0);
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [`file://${dir}/report.html`], 'nothing fetched but the page');
    } finally {
      await browser.close();
    }
  }),
);
