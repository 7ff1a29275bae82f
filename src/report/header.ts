/** What a report says of itself: the period, exactly, in which time zone, compared with what, made when and from what. */
import { localOffset } from '../format/period.js';
import { formatLocalMinute } from '../format/time.js';
import { VERSION } from '../version.js';
import type { ReportData } from './aggregate.js';

export interface Header {
  title: string;
  range: string;
  compared: string;
  made: string;
  version: string;
  /** Said first when some input could not be read: the numbers may be short. */
  warning?: string;
}

const local = formatLocalMinute;

/** `UTC+01:00` at `t`. */
function offset(t: number): string {
  const m = localOffset(t) / 60_000;
  const a = Math.abs(m);
  return `UTC${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function reportHeader(d: ReportData, sources: readonly string[], now: number, inputFailed: boolean): Header {
  const { period, previous } = d.periods;
  return {
    title: `File server activity: ${period.label}`,
    range: `From ${local(period.from)} to ${local(period.to)}, ${d.tz} time (${offset(period.from)})`,
    compared: `Changes are against the period before: ${previous.label}.`,
    made: `Made by smbta-report ${VERSION} at ${local(now)} from ${sources.join(', ')}; ${d.totals.records.toLocaleString('en')} records in the period.`,
    version: VERSION,
    ...(inputFailed ? { warning: 'Some input could not be read (stderr says which): the numbers below may be short.' } : {}),
  };
}
