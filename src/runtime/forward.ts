/**
 * The body shared by the programs that pass a selected stream on (smbta-filter, smbta-mux):
 * blocks whose records are all selected go through unchanged, others are re-encoded with
 * the selected rows, and status, gap and info blocks are kept so loss stays visible.
 */
import type { RecordBatch } from '../stream/batch.js';
import type { SideBlock } from '../stream/decoder.js';
import type { StreamWriter } from '../stream/writer.js';
import { readSelected, type PreparedInput } from './input.js';
import type { RunContext } from './context.js';

export async function forwardSelected(input: PreparedInput, ctx: RunContext, writer: StreamWriter): Promise<void> {
  const f = forwarding(writer);
  await readSelected(
    input,
    ctx,
    async (b, rows, n, source) => {
      f.rows(b, rows, n, source);
      await writer.ready();
    },
    f.side,
    f.none,
  );
  await writer.close();
}

/** readSelected's three handlers that pass what is read on to `writer` (smbta-alert adds its own work to `rows`). */
export function forwarding(writer: StreamWriter): {
  rows: (b: RecordBatch, rows: Uint32Array | null, n: number, source: string) => void;
  side: (side: SideBlock) => void;
  none: (b: RecordBatch, source: string) => void;
} {
  return {
    rows: (b, rows, n, source) => {
      if (rows === null && b.raw) writer.writeBlock(b.raw, b, source);
      else writer.addRows(b, rows, n, source);
    },
    side: (side) => writer.writeRaw(side.raw),
    none: (b, source) => writer.pass(b, source),
  };
}
