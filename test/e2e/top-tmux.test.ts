/**
 * smbta-top in a real terminal: tmux runs it in a pane of a fixed size, keys are sent with
 * send-keys and the screen is read with capture-pane, while a real receiver is fed by
 * smbta-torture, stopped and started again.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { servingReceiver } from '../helpers/proc.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { toolMissing } from '../helpers/tools.js';

const SOCKET = `smbta-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', 'top');

/** Waits until the screen matches, and returns it; fails with the last screen seen. */
async function see(re: RegExp, timeoutMs = 15000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = screen();
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${re} on the screen within ${timeoutMs} ms:\n${last}`);
}

const send = (port: number, seed: number) =>
  runBin('smbta-torture', ['-d', `127.0.0.1:${port}`, '--rate', '3000', '--duration', '4s', '--users', '5', '--seed', String(seed)], { timeoutMs: 30000 });

test(
  'smbta-top in tmux: grouping, sort and filter keys, a wrong filter, a source that drops and returns, 40 columns',
  { skip: toolMissing('tmux', 'tmux', ['-V']) },
  () =>
    withTmpDir(async (dir) => {
      let src = await servingReceiver();
      // CI=true as CI runners set it: Ink would then draw nothing until exit.
      const cmd = `CI=true TZ=UTC ${process.execPath} ${ROOT}bin/smbta-top.js -S 127.0.0.1:${src.serve} --refresh 0.5; echo "exit $?" > ${dir}/status`;
      tmux('new-session', '-d', '-s', 'top', '-x', '100', '-y', '30', cmd);
      try {
        await src.p.waitFor(/reader .* connected/);
        const sent = send(src.port, 1);
        await see(/USER \([1-5]\)[\s\S]*user0 /);
        assert.match(screen(), /read\s+[\d.]+ (B|KiB|MiB|GiB)\/s/);

        tmux('send-keys', '-t', 'top', 'g');
        await see(/SHARE \(\d\)/);
        tmux('send-keys', '-t', 'top', 's');
        await see(/by share, sorted by write\/s/);

        tmux('send-keys', '-t', 'top', '/', 'usr=x', 'Enter');
        const wrong = await see(/\^ unknown field 'usr'/);
        const caret = wrong.split('\n').find((l) => l.includes('^ unknown field'))!;
        assert.equal(
          caret.indexOf('^'),
          wrong
            .split('\n')
            .find((l) => l.startsWith('/ '))!
            .indexOf('usr'),
        );
        tmux('send-keys', '-t', 'top', 'Escape');
        await see(/filter: \(none\)/);

        tmux('send-keys', '-t', 'top', '/', 'user=user0', 'Enter');
        await see(/filter: user=user0/);
        tmux('send-keys', '-t', 'top', '1');
        await see(/USER \(1\)\s[\s\S]*user0 /);
        assert.equal((await sent).code, 0);

        // The source goes away and comes back on the same port: top says so and carries on.
        await src.p.stop();
        await see(/reconnecting/);
        src = await servingReceiver(src.serve);
        await see(/connected\s*$/m, 30000);
        const again = send(src.port, 2);
        tmux('send-keys', '-t', 'top', 'c');
        await see(/USER \(1\)\s[\s\S]*user0 /);

        tmux('resize-window', '-t', 'top', '-x', '40', '-y', '20');
        const narrow = await see(/USER \(1\)\s+READ\/s\s+WRITE\/s\s*$/m);
        assert.doesNotMatch(narrow, /OPS\/s/);
        for (const line of narrow.split('\n')) assert.ok([...line].length <= 40, `too wide: ${line}`);
        assert.equal((await again).code, 0);

        tmux('send-keys', '-t', 'top', 'q');
        const until = Date.now() + 10000;
        while (Date.now() < until && !readStatus(dir)) await new Promise((r) => setTimeout(r, 100));
        assert.equal(readStatus(dir), 'exit 0');
      } finally {
        spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
        await src.p.stop();
      }
    }),
);

function readStatus(dir: string): string {
  try {
    return readFileSync(`${dir}/status`, 'utf8').trim();
  } catch {
    return '';
  }
}
