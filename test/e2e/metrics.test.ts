import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamMetrics } from '../../src/runtime/metrics.js';
import type { Ledger } from '../../src/torture/ledger.js';
import { startProc } from '../helpers/proc.js';
import { runBin } from '../helpers/run-bin.js';
import { batchOf, KNOWN } from '../helpers/top-input.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

/** `name{labels} value` lines of a scrape, by name. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => {
      const m = /^[^{]+\{(.*)\} (\S+)$/.exec(l)!;
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { labels, value: Number(m[2]) };
    });
}
const total = (text: string, name: string): number => samples(text, name).reduce((a, s) => a + s.value, 0);

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, text: await r.text() };
}

test('--metrics: recv and mux serve Prometheus text that adds up to what torture sent', async () => {
  const recvMetrics = startProc('smbta-recv', ['-i', '0', '-P', '0', '--metrics', '0']);
  const rm = Number((await recvMetrics.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
  const ports = await recvMetrics.waitFor(/listening on 127\.0\.0\.1:(\d+); serving readers on 127\.0\.0\.1:(\d+)/);
  const mux = startProc('smbta-mux', ['-S', `127.0.0.1:${ports[2]}`, '-P', '0', '--metrics', '127.0.0.1:0', '--metrics-users']);
  const mm = Number((await mux.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
  const muxPort = Number((await mux.waitFor(/serving on 127\.0\.0\.1:(\d+)/))[1]);
  await recvMetrics.waitFor(/reader .* connected/);
  const reader = runBin('smbta-json', ['-S', `127.0.0.1:${muxPort}`, '-N', '3000'], { timeoutMs: 30000 });
  await mux.waitFor(/reader .* connected/);
  const t = await runBin('smbta-torture', ['-d', `127.0.0.1:${ports[1]}`, '-n', '3000', '--seed', '4'], { timeoutMs: 30000 });
  const ledger = JSON.parse(t.stdout.toString()) as Ledger;
  assert.equal((await reader).code, 0);
  try {
    const r = await scrape(rm);
    assert.equal(r.status, 200);
    assert.equal(total(r.text, 'smbta_records_in_total'), ledger.records);
    assert.equal(total(r.text, 'smbta_bytes_total'), ledger.bytes);
    assert.match(r.text, /^# TYPE smbta_bytes_total counter$/m);
    assert.match(r.text, /^smbta_connections\{program="smbta-recv"\} 1$/m, 'the mux reading from it');
    assert.equal(samples(r.text, 'smbta_user_bytes_total').length, 0, 'no per-user labels unless asked');
    const m = await scrape(mm);
    assert.equal(total(m.text, 'smbta_records_in_total'), ledger.records);
    assert.equal(total(m.text, 'smbta_records_out_total'), ledger.records);
    for (const [user, tally] of Object.entries(ledger.users)) {
      if (tally.bytes) assert.equal(samples(m.text, 'smbta_user_bytes_total').find((s) => s.labels.user === user)?.value, tally.bytes, user);
    }
    assert.match(m.text, /^smbta_lag_seconds\{program="smbta-mux"\} [\d.]+$/m);
    assert.equal((await scrape(mm, '/')).status, 404);
  } finally {
    assert.equal(await mux.stop(), 0);
    assert.equal(await recvMetrics.stop(), 0);
  }
});

test('metrics labels stay bounded and escaped; files never become labels', () => {
  const m = new StreamMetrics('smbta-test');
  const recs = Array.from({ length: 500 }, (_, k) => ({ ...KNOWN[0]!, share: `share "${k}"\n`, path: `file${k}` }));
  m.observe(batchOf(recs), null, recs.length);
  const text = m.render();
  const shares = new Set(samples(text, 'smbta_bytes_total').map((s) => s.labels.share));
  assert.equal(shares.size, 201);
  assert.ok(shares.has('(other)'));
  assert.ok(shares.has('share \\"0\\"\\n'));
  assert.doesNotMatch(text, /file\d/);
  assert.equal(
    total(text, 'smbta_bytes_total'),
    recs.reduce((a, r) => a + r.bytes, 0),
  );
});

test('--metrics stays on loopback unless told --insecure, and with --token-file answers only a bearer of the token', () =>
  withTmpDir(async (dir) => {
    const refused = await runBin('smbta-recv', ['-i', '0', '--metrics', '0.0.0.0:0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--metrics 0\.0\.0\.0:0 serves beyond this host in clear text: .* or give --insecure/);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'a'.repeat(32));
    // Listening on every interface (told --insecure) is scraped here on loopback only.
    const recv = startProc('smbta-recv', ['-i', '0', '-w', join(dir, 'out.smbta'), '--metrics', '0.0.0.0:0', '--insecure', '--token-file', tokenFile]);
    try {
      const port = Number((await recv.waitFor(/metrics on http:\/\/0\.0\.0\.0:(\d+)\/metrics/))[1]);
      assert.match(recv.stderr(), /in clear text \(--insecure\); the bearer token crosses the network unencrypted/);
      const get = (authorization?: string) => fetch(`http://127.0.0.1:${port}/metrics`, { headers: authorization ? { authorization } : {} });
      assert.equal((await get()).status, 401);
      assert.equal((await get(`Bearer ${'b'.repeat(32)}`)).status, 401);
      const ok = await get(`Bearer ${'a'.repeat(32)}`);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /^smbta_records_in_total/m);
    } finally {
      assert.equal(await recv.stop(), 0);
    }
  }));
