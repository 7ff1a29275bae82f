/**
 * What smbta-alert raises, as every reader sees it: the alert, and its JSON (one NDJSON line
 * of --json, and the payload of an alert block, kind 5, in the stream, so smbta-top shows
 * the latest alerts and smbta-rotate archives them).
 */
export const MEASURES = ['operations', 'bytes', 'paths', 'extensions', 'failures'] as const;
export type Measure = (typeof MEASURES)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Alert {
  kind: 'alert' | 'cleared';
  rule: string;
  severity: Severity;
  /** Record time (ms since the epoch) of the record that crossed the threshold, or of the clearing. */
  time: number;
  /** The group: its `by` fields and their values. */
  group: Record<string, string>;
  measure: Measure;
  /** The measure at that moment, over the window (0 for a clearing). */
  value: number;
  above: number;
  overMs: number;
  quietForMs: number;
  /** The path (and new name of a rename) and the client of the record that crossed (for an alert). */
  path: string;
  path2: string;
  client: string;
}

/** The alert with its time as an ISO 8601 string, as --json and the stream carry it. */
export function alertJson(a: Alert): Record<string, unknown> {
  return { ...a, time: new Date(a.time).toISOString() };
}

/** An alert block's body read back; undefined when it is not an alert this reader understands. */
export function alertFromJson(body: Record<string, unknown>): Alert | undefined {
  const { kind, rule, severity, time, group, measure } = body;
  const when = typeof time === 'string' ? Date.parse(time) : NaN;
  if (kind !== 'alert' && kind !== 'cleared') return undefined;
  if (typeof rule !== 'string' || Number.isNaN(when)) return undefined;
  if (!(SEVERITIES as readonly unknown[]).includes(severity) || !(MEASURES as readonly unknown[]).includes(measure)) return undefined;
  if (typeof group !== 'object' || group === null || Array.isArray(group)) return undefined;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    kind,
    rule,
    severity: severity as Alert['severity'],
    time: when,
    group: Object.fromEntries(Object.entries(group).map(([k, v]) => [k, String(v)])),
    measure: measure as Alert['measure'],
    value: num(body.value),
    above: num(body.above),
    overMs: num(body.overMs),
    quietForMs: num(body.quietForMs),
    path: text(body.path),
    path2: text(body.path2),
    client: text(body.client),
  };
}
