/**
 * The body shared by the programs that pass a selected stream on (smbta-filter, smbta-mux):
 * blocks whose records are all selected go through unchanged, others are re-encoded with
 * the selected rows, and status, gap and info blocks are kept so loss stays visible.
 */
import type { StreamWriter } from '../stream/writer.js';
import { readSelected, type PreparedInput } from './input.js';
import type { RunContext } from './context.js';

export async function forwardSelected(input: PreparedInput, ctx: RunContext, writer: StreamWriter): Promise<void> {
  await readSelected(
    input,
    ctx,
    async (b, rows, n, source) => {
      if (rows === null && b.raw) writer.writeBlock(b.raw, b, source);
      else writer.addRows(b, rows, n, source);
      await writer.ready();
    },
    (side) => writer.writeRaw(side.raw),
    (b, source) => writer.pass(b, source),
  );
  await writer.close();
}
