/**
 * The live smbta-top: ticks the feed every refresh, draws the snapshot to the terminal's
 * size (and again when it is resized), and turns keys into screen state and feed actions.
 */
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { TopFeed } from './feed.js';
import { handleKey, splitKeys, type KeyInfo, type UiState } from './keys.js';
import { TopView } from './view.js';

export interface TopAppProps {
  feed: TopFeed;
  initial: UiState;
  source: string;
  refreshMs: number;
  /** False when there is no keyboard (stdin is the stream and there is no /dev/tty). */
  keys: boolean;
}

/** Rows enough for the tallest screen; the view cuts to fit. */
const SNAPSHOT_ROWS = 200;

function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const read = () => ({ width: stdout.columns || 80, height: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  return size;
}

export function TopApp({ feed, initial, source, refreshMs, keys }: TopAppProps) {
  const { exit } = useApp();
  const { width, height } = useTerminalSize();
  const [ui, setUi] = useState(initial);
  const uiRef = useRef(ui);
  uiRef.current = ui;
  const snapshot = () => feed.model.snapshot(uiRef.current.grouping, uiRef.current.sort, SNAPSHOT_ROWS);
  const [snap, setSnap] = useState(snapshot);

  useEffect(() => {
    const timer = setInterval(() => {
      feed.tick();
      if (!uiRef.current.paused) setSnap(snapshot());
    }, refreshMs);
    return () => clearInterval(timer);
  }, [feed, refreshMs]);
  useEffect(() => setSnap(snapshot()), [ui.grouping, ui.sort]);

  const press = (input: string, key: KeyInfo): void => {
    const handled = handleKey(uiRef.current, input, key);
    let next = handled[0];
    const action = handled[1];
    if (action?.kind === 'quit') return exit();
    if (action?.kind === 'clear') feed.clear();
    if (action?.kind === 'filter') {
      const error = feed.trySetFilter(action.text);
      next = error ? { ...next, error } : { ...next, filter: action.text, draft: undefined, error: undefined };
    }
    if (action) setSnap(snapshot());
    uiRef.current = next;
    setUi(next);
  };
  useInput(
    (input, key) => {
      for (const [one, k] of splitKeys(input, key)) press(one, k);
    },
    { isActive: keys },
  );

  return <TopView snap={snap} ui={ui} width={width} height={height} source={source} interactive={keys} />;
}
