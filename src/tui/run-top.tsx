/**
 * Runs smbta-top: reads the selected stream into the feed and either draws the live screen
 * until `q` or prints one plain snapshot (--once, or when stdout is not a terminal).
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { render, renderToString } from 'ink';
import { alertFromJson } from '../record/alert.js';
import type { RunContext } from '../runtime/context.js';
import { BlockKind } from '../stream/format.js';
import { readSelected, type PreparedInput } from '../runtime/input.js';
import { TopApp } from './app.js';
import type { TopFeed } from './feed.js';
import type { UiState } from './keys.js';
import { TopView } from './view.js';

export interface TopRun {
  input: PreparedInput;
  feed: TopFeed;
  ui: UiState;
  source: string;
  refreshMs: number;
  /** Live sources: --once watches them for one refresh. Archives: --once reads them whole. */
  live: boolean;
}

export async function printOnce(o: TopRun, ctx: RunContext): Promise<void> {
  const reading = read(o, ctx);
  if (o.live) {
    await Promise.race([reading, new Promise((r) => setTimeout(r, o.refreshMs))]);
    o.feed.tick();
    ctx.abort();
    await reading;
  } else {
    await reading;
    o.feed.tick();
  }
  const width = process.stdout.columns || Number(process.env.COLUMNS) || 100;
  const height = process.stdout.rows || Number(process.env.LINES) || 40;
  const snap = o.feed.model.snapshot(o.ui.grouping, o.ui.sort, height);
  process.stdout.write(
    renderToString(<TopView snap={snap} ui={o.ui} width={width} height={height} source={o.source} interactive={false} />, { columns: width }) + '\n',
  );
}

export async function runInteractive(o: TopRun, ctx: RunContext): Promise<void> {
  // What the sources say goes to the screen; failures are said again on stderr at exit.
  const failures: string[] = [];
  const note = (m: string): void => o.feed.model.note(m);
  const quiet: RunContext = {
    report: { program: ctx.report.program, warn: note, fail: (m) => (failures.push(m), note(m)), failed: false },
    signal: ctx.signal,
    abort: () => ctx.abort(),
  };
  const reading = read(o, quiet).then(
    () => {
      o.feed.end();
      o.feed.model.note(o.live ? 'all sources ended' : 'end of input: q quits');
    },
    (err: Error) => o.feed.model.note(`reading stopped: ${err.message}`),
  );
  const keyboard = openKeyboard();
  const app = render(<TopApp feed={o.feed} initial={o.ui} source={o.source} refreshMs={o.refreshMs} keys={keyboard !== undefined} />, {
    stdin: keyboard,
    maxFps: 10,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const stop = (): void => app.unmount();
  ctx.signal.addEventListener('abort', stop);
  await app.waitUntilExit();
  ctx.signal.removeEventListener('abort', stop);
  ctx.abort();
  await reading;
  if (keyboard && keyboard !== process.stdin) keyboard.destroy();
  for (const f of failures) ctx.report.fail(f);
}

function read(o: TopRun, ctx: RunContext): Promise<void> {
  return readSelected(
    o.input,
    ctx,
    (b, rows, n) => o.feed.add(b, rows, n),
    (side, _source, lost) => {
      o.feed.model.lost(lost);
      const alert = side.kind === BlockKind.Alert ? alertFromJson(side.body) : undefined;
      if (alert) o.feed.model.alert(alert);
    },
  );
}

/** The keyboard: stdin when it is a terminal, else the controlling terminal (stdin carries the stream). */
function openKeyboard(): ReadStream | undefined {
  if (process.stdin.isTTY) return process.stdin;
  try {
    return new ReadStream(openSync('/dev/tty', 'r'));
  } catch {
    return undefined;
  }
}
