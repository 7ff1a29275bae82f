/**
 * --db: the records of both periods read back from the SQL store a page at a time (in time
 * order, by the time index), built into batches for the same aggregation as a stream's, with
 * the senders, losses and alerts the store kept.
 */
import type { Selection } from '../runtime/input.js';
import { alertFromJson } from '../record/alert.js';
import { emptyRecord, STRING_FIELDS, type SmbRecord } from '../record/fields.js';
import { RECORD_COLUMNS } from '../store/schema.js';
import type { Store } from '../store/types.js';
import { BatchBuilder } from '../stream/builder.js';
import type { ReportAggregator } from './aggregate.js';
import type { Periods } from './period.js';

const PAGE = 8192;
const TEXT: ReadonlySet<string> = new Set(STRING_FIELDS);

function recordOf(row: Record<string, unknown>): SmbRecord {
  const r: Record<string, string | number> = { ...emptyRecord() };
  // PostgreSQL hands BIGINT over as text: every number column is read as a number.
  for (const [field, col] of RECORD_COLUMNS) {
    const v = row[col];
    r[field] = TEXT.has(field) ? (typeof v === 'string' ? v : '') : Number(v);
  }
  return r as unknown as SmbRecord;
}

/**
 * Feeds the selected records of both periods, and the store's senders, losses and alerts, to
 * `agg`; false when the store has no alerts table (made before smbta-db kept alerts, and
 * loaded by none since).
 */
export async function reportFromStore(store: Store, periods: Periods, sel: Selection, agg: ReportAggregator): Promise<boolean> {
  const cols = RECORD_COLUMNS.map(([, c]) => c).join(', ');
  const to = periods.period.to;
  let [time, id] = [periods.previous.from - 1, Number.MAX_SAFE_INTEGER];
  let rows: Record<string, unknown>[];
  let scratch = new Uint32Array(0);
  do {
    // Keyset paging on (time, id): each page starts after the last row of the one before.
    rows = await store.all(`SELECT id, ${cols} FROM smbta_records WHERE time >= ? AND time < ? AND (time > ? OR id > ?) ORDER BY time, id LIMIT ${PAGE}`, [
      time,
      to,
      time,
      id,
    ]);
    if (!rows.length) break;
    const b = new BatchBuilder();
    for (const row of rows) b.add(recordOf(row));
    const batch = b.toBatch();
    const last = rows.at(-1)!;
    [time, id] = [Number(last.time), Number(last.id)];
    if (!sel.filter) {
      agg.add(batch, null, batch.length);
      continue;
    }
    const kept = sel.filter(batch);
    if (scratch.length < batch.length) scratch = new Uint32Array(batch.length);
    let n = 0;
    for (let i = 0; i < batch.length; i++) if (kept[i] === 1) scratch[n++] = i;
    agg.add(batch, scratch.subarray(0, n), n);
  } while (rows.length === PAGE);
  for (const s of await store.all('SELECT server, protocol FROM smbta_senders ORDER BY server')) agg.sender(String(s.server), String(s.protocol));
  const losses = await store.all('SELECT time, end_time, source, records, reason, loss_id FROM smbta_losses WHERE end_time >= ? AND time < ? ORDER BY time', [
    periods.period.from,
    to,
  ]);
  for (const l of losses)
    agg.loss({
      from: Number(l.time),
      to: Number(l.end_time),
      source: String(l.source),
      records: Number(l.records),
      reason: String(l.reason),
      ...(typeof l.loss_id === 'string' ? { id: l.loss_id } : {}),
    });
  let alerts: Record<string, unknown>[];
  try {
    alerts = await store.all('SELECT body FROM smbta_alerts WHERE time >= ? AND time < ? ORDER BY time', [periods.period.from, to]);
  } catch (err) {
    if (/smbta_alerts/.test((err as Error).message)) return false;
    throw err;
  }
  for (const { body } of alerts) {
    const a = typeof body === 'string' ? alertFromJson(JSON.parse(body) as Record<string, unknown>) : undefined;
    if (a) agg.alert(a);
  }
  return true;
}
