/**
 * What a long-running program tells Prometheus (`--metrics ADDR:PORT`): records in and out,
 * bytes per operation and share, drops by reason, connections, and how far behind the
 * newest record is. Label values are bounded: shares beyond MAX_SHARES count as
 * "(other)", users appear only with --metrics-users and are bounded too, and files never.
 */
import { opName, type SmbRecord } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';

const MAX_SHARES = 200;
const MAX_USERS = 1000;
const OTHER = '(other)';

export class StreamMetrics {
  recordsIn = 0;
  /** Records passed on (written, served, stored), as the program counts them. */
  recordsOut: () => number = () => 0;
  /** Open connections (senders or readers), as the program counts them; 0 where it has none. */
  connections: () => number = () => 0;
  /** Drops by reason, as the program counts them (merged with losses seen upstream). */
  droppedBy: () => Record<string, number> = () => ({});
  private upstreamLost = 0;
  private latest = -Infinity;
  /** op → share → bytes */
  private bytes = new Map<string, Map<string, number>>();
  private users: Map<string, number> | undefined;
  private shares = new Set<string>();

  constructor(
    readonly program: string,
    perUser = false,
  ) {
    if (perUser) this.users = new Map();
  }

  /**
   * Counts the given rows of a batch (all `count` when `rows` is null). Rows are summed per
   * (op, share) and per user reference first, so the named counters see each once per batch.
   */
  observe(b: RecordBatch, rows: Uint32Array | null, count: number): void {
    const op = b.nums('op');
    const bytes = b.nums('bytes');
    const time = b.nums('time');
    const share = b.refs('share');
    const user = this.users && b.refs('user');
    const size = b.strings.size;
    const byOpShare = new Map<number, number>();
    const byUser = new Map<number, number>();
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      if (time[i]! > this.latest) this.latest = time[i]!;
      const n = bytes[i]!;
      if (n === 0) continue;
      const key = op[i]! * size + share[i]!;
      byOpShare.set(key, (byOpShare.get(key) ?? 0) + n);
      if (user) byUser.set(user[i]!, (byUser.get(user[i]!) ?? 0) + n);
    }
    for (const [key, n] of byOpShare) this.addBytes(opName(Math.floor(key / size)), b.strings.get(key % size), n);
    for (const [ref, n] of byUser) this.addUser(b.strings.get(ref), n);
    this.recordsIn += count;
  }

  /** Counts one record (the receiver, which has records one at a time). */
  observeRecord(r: SmbRecord): void {
    if (r.time > this.latest) this.latest = r.time;
    if (r.bytes) {
      this.addBytes(opName(r.op), r.share, r.bytes);
      this.addUser(r.user, r.bytes);
    }
    this.recordsIn++;
  }

  /** Records a source said were lost before they reached this program. */
  lostUpstream(records: number): void {
    this.upstreamLost += records;
  }

  private addBytes(op: string, share: string, bytes: number): void {
    let byShare = this.bytes.get(op);
    if (!byShare) this.bytes.set(op, (byShare = new Map<string, number>()));
    if (!this.shares.has(share) && this.shares.size < MAX_SHARES) this.shares.add(share);
    const s = this.shares.has(share) ? share : OTHER;
    byShare.set(s, (byShare.get(s) ?? 0) + bytes);
  }

  /** Bytes per user, only with --metrics-users. */
  private addUser(user: string, bytes: number): void {
    if (!this.users) return;
    const u = this.users.has(user) || this.users.size < MAX_USERS ? user : OTHER;
    this.users.set(u, (this.users.get(u) ?? 0) + bytes);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(now = Date.now()): string {
    const p = this.program;
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) out.push(`${name}${formatLabels({ program: p, ...labels })} ${v}`);
    };
    metric('smbta_records_in_total', 'counter', 'Records this program received.', [[{}, this.recordsIn]]);
    metric('smbta_records_out_total', 'counter', 'Records this program passed on (written, served or stored).', [[{}, this.recordsOut()]]);
    const bytes: [Record<string, string>, number][] = [];
    for (const [op, byShare] of this.bytes) for (const [share, b] of byShare) bytes.push([{ op, share }, b]);
    metric('smbta_bytes_total', 'counter', 'Bytes read and written, by operation and share.', bytes);
    if (this.users)
      metric(
        'smbta_user_bytes_total',
        'counter',
        'Bytes moved, by user (--metrics-users).',
        [...this.users].map(([user, b]) => [{ user }, b]),
      );
    const dropped = { ...this.droppedBy() };
    if (this.upstreamLost) dropped['lost upstream'] = (dropped['lost upstream'] ?? 0) + this.upstreamLost;
    metric(
      'smbta_dropped_records_total',
      'counter',
      'Records dropped or lost, by reason.',
      Object.entries(dropped).map(([reason, n]) => [{ reason }, n]),
    );
    metric('smbta_connections', 'gauge', 'Open connections: senders for smbta-recv, readers for smbta-mux, smbta-recv -P and smbta-probe -P.', [
      [{}, this.connections()],
    ]);
    const lag = Number.isFinite(this.latest) ? Math.max(0, (now - this.latest) / 1000) : 0;
    metric('smbta_lag_seconds', 'gauge', 'How long ago the newest record seen happened.', [[{}, lag]]);
    return out.join('\n') + '\n';
  }
}

function formatLabels(labels: Record<string, string>): string {
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;
}
