/**
 * smbta-top's screen: dumb components that draw a snapshot and the screen state into a
 * given width and height, so the same view serves the live terminal, --once and tests.
 */
import { Box, Text } from 'ink';
import type { Alert } from '../record/alert.js';
import { formatAlert } from '../format/alert-line.js';
import { createLocalFormatter } from '../format/time.js';
import { visible } from '../format/text.js';
import { formatCount, formatSize } from '../format/units.js';
import { fitTo } from '../format/width.js';
import { KEY_HELP, type UiState } from './keys.js';
import type { GroupRow, LogLine, SortKey, TopSnapshot } from './model.js';
import { sparkline } from './sparkline.js';
import { THEME } from './theme.js';

export interface ViewProps {
  snap: TopSnapshot;
  ui: UiState;
  width: number;
  height: number;
  /** What is being read, for the title line. */
  source: string;
  /** Say that keys work (not for --once). */
  interactive?: boolean;
}

const rate = (n: number): string => `${formatSize(n)}/s`;

export function TopView({ snap, ui, width, height, source, interactive = true }: ViewProps) {
  const note = snap.notes.at(-1);
  const fixed = 1 + 2 + 1 + (ui.error ? 1 : 0) + (note ? 1 : 0) + (interactive ? 1 : 0);
  const rest = Math.max(0, height - fixed);
  // The table takes what its rows need, up to 60% of the room; then up to 3 latest alerts; the log has the rest.
  const tableLines = rest < 8 ? rest : Math.min(snap.rows.length + 1, Math.ceil(rest * 0.6));
  const alertLines = snap.alerts.length && rest - tableLines > 2 ? Math.min(snap.alerts.length, 3, rest - tableLines - 2) + 1 : 0;
  const logLines = rest - tableLines - alertLines;
  return (
    <Box flexDirection="column" width={width}>
      <TitleLine snap={snap} ui={ui} source={source} width={width} />
      <Throughput snap={snap} width={width} />
      <FilterLine ui={ui} width={width} />
      {ui.help ? (
        <Help height={rest} />
      ) : (
        <>
          <GroupTable rows={snap.rows.slice(0, Math.max(0, tableLines - 1))} grouping={snap.grouping} groups={snap.groups} sort={ui.sort} width={width} />
          {alertLines > 0 && <Alerts alerts={snap.alerts.slice(-(alertLines - 1))} count={snap.alertCount} />}
          {logLines > 1 && <Log lines={snap.log.slice(-(logLines - 1))} width={width} />}
        </>
      )}
      {note && (
        <Text color={THEME.dim} wrap="truncate">
          {note}
        </Text>
      )}
      {interactive && (
        <Text color={THEME.dim} wrap="truncate">
          {'g group  s sort  / filter  p pause  c clear  h help  q quit'}
        </Text>
      )}
    </Box>
  );
}

function TitleLine({ snap, ui, source, width }: { snap: TopSnapshot; ui: UiState; source: string; width: number }) {
  const clock = Number.isFinite(snap.clock) ? clockText(snap.clock) : '';
  return (
    <Box width={width}>
      <Box flexGrow={1} flexShrink={1}>
        <Text wrap="truncate">
          <Text color={THEME.title} bold>
            smbta-top
          </Text>{' '}
          {source} {formatCount(snap.records)} records, ops {formatCount(snap.opsRate)}/s
          {snap.dropped > 0 && <Text color={THEME.dropped}> dropped {formatCount(snap.dropped)}</Text>}
          {ui.paused && <Text inverse> PAUSED </Text>}
        </Text>
      </Box>
      <Text>{clock}</Text>
    </Box>
  );
}

function Throughput({ snap, width }: { snap: TopSnapshot; width: number }) {
  const label = 17;
  const w = Math.max(0, width - label);
  const shown = [...snap.history.read.slice(-w), ...snap.history.write.slice(-w)];
  const max = Math.max(0, ...shown);
  return (
    <>
      {(
        [
          ['read ', snap.readRate, snap.history.read, THEME.read],
          ['write', snap.writeRate, snap.history.write, THEME.write],
        ] as const
      ).map(([name, r, hist, color]) => (
        <Text key={name} wrap="truncate">
          <Text color={color}>{`${name} ${rate(r).padStart(10)} `}</Text>
          {sparkline(hist, w, max)}
        </Text>
      ))}
    </>
  );
}

function FilterLine({ ui, width }: { ui: UiState; width: number }) {
  if (ui.draft !== undefined) {
    return (
      <>
        <Text wrap="truncate">
          <Text color={THEME.heading}>/ </Text>
          {visible(ui.draft)}
          <Text inverse> </Text>
        </Text>
        {ui.error && (
          <Text color={THEME.error} wrap="truncate">
            {' '.repeat(Math.min(width - 1, 1 + ui.error.column))}^ {ui.error.message}
          </Text>
        )}
      </>
    );
  }
  return (
    <Text wrap="truncate" color={THEME.dim}>
      {`filter: ${visible(ui.filter) || '(none)'}   by ${ui.grouping}, sorted by ${ui.sort}`}
    </Text>
  );
}

interface Column {
  title: string;
  width: number;
  sort?: SortKey;
  value: (r: GroupRow) => string;
}

/** Columns that fit: a narrow terminal drops the totals, then operations. */
function tableColumns(width: number): Column[] {
  const cols: Column[] = [
    { title: 'READ/s', width: 13, sort: 'read/s', value: (r) => rate(r.readRate) },
    { title: 'WRITE/s', width: 13, sort: 'write/s', value: (r) => rate(r.writeRate) },
  ];
  if (width >= 60) cols.push({ title: 'OPS/s', width: 8, sort: 'ops/s', value: (r) => formatCount(r.opsRate) });
  if (width >= 84) {
    cols.push({ title: 'READ', width: 11, sort: 'total', value: (r) => formatSize(r.read) });
    cols.push({ title: 'WRITTEN', width: 11, sort: 'total', value: (r) => formatSize(r.written) });
  }
  if (width >= 100) cols.push({ title: 'OPS', width: 9, value: (r) => formatCount(r.ops) });
  return cols;
}

function GroupTable({ rows, grouping, groups, sort, width }: { rows: GroupRow[]; grouping: string; groups: number; sort: SortKey; width: number }) {
  const cols = tableColumns(width);
  const nameWidth = Math.max(4, width - cols.reduce((a, c) => a + c.width, 0));
  const marked = (c: Column): boolean => c.sort === sort && (sort !== 'total' || c.title === 'READ');
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={nameWidth}>
          <Text bold color={THEME.heading} underline={sort === 'name'} wrap="truncate">
            {`${grouping.toUpperCase()} (${groups})`}
          </Text>
        </Box>
        {cols.map((c) => (
          <Box key={c.title} width={c.width} justifyContent="flex-end">
            <Text bold color={THEME.heading} underline={marked(c)}>
              {c.title}
            </Text>
          </Box>
        ))}
      </Box>
      {rows.map((r) => (
        <Box key={r.name}>
          <Box width={nameWidth}>
            <Text wrap="truncate">{visible(r.name) || '(none)'}</Text>
          </Box>
          {cols.map((c) => (
            <Box key={c.title} width={c.width} justifyContent="flex-end">
              <Text>{c.value(r)}</Text>
            </Box>
          ))}
        </Box>
      ))}
    </Box>
  );
}

const clockText = (
  (f) => (ms: number) =>
    f(ms).slice(11, 19)
)(createLocalFormatter());

function Alerts({ alerts, count }: { alerts: Alert[]; count: number }) {
  return (
    <Box flexDirection="column">
      <Text bold color={THEME.heading} wrap="truncate">{`ALERTS (${formatCount(count)}, latest last)`}</Text>
      {alerts.map((a, k) => (
        <Text key={k} wrap="truncate" color={THEME[a.kind === 'alert' ? a.severity : 'cleared']}>
          {visible(formatAlert(a))}
        </Text>
      ))}
    </Box>
  );
}

function Log({ lines, width }: { lines: LogLine[]; width: number }) {
  const wide = width >= 70;
  return (
    <Box flexDirection="column">
      <Text bold color={THEME.heading} wrap="truncate">
        {wide ? 'TIME     OP     USER         SHARE            BYTES  PATH' : 'TIME     OP     USER     PATH'}
      </Text>
      {lines.map((l, k) => (
        <Text key={k} wrap="truncate" color={l.result < 0 ? THEME.failed : undefined}>
          {`${clockText(l.time)} ${l.op.padEnd(6)} ${cut(visible(l.user), wide ? 12 : 8)} `}
          {wide && `${cut(visible(l.share), 10)} ${formatSize(l.bytes).padStart(10)}  `}
          {visible(l.path)}
        </Text>
      ))}
    </Box>
  );
}

const cut = fitTo;

function Help({ height }: { height: number }) {
  return (
    <Box flexDirection="column" height={height}>
      <Text bold color={THEME.heading}>
        Keys (any key closes this)
      </Text>
      {KEY_HELP.map(([k, what]) => (
        <Text key={k} wrap="truncate">
          {k.padEnd(12)}
          {what}
        </Text>
      ))}
    </Box>
  );
}
