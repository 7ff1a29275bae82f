/** The body shared by the printing readers (cat, csv, json): select, format, write. */
import type { FieldName } from '../record/fields.js';
import type { RecordBatch } from '../stream/batch.js';
import { parseFieldList } from '../format/field-list.js';
import { prepareInput, readSelected, type ReaderArgs } from './input.js';
import { createStdoutSink } from '../io/byte-sink.js';
import type { RunContext } from './context.js';

export interface Formatter {
  header(): string;
  batch(b: RecordBatch, rows: Uint32Array | null, count: number): string | Buffer;
}

export interface PrintArgs extends ReaderArgs {
  fields?: string;
  numeric: boolean;
  header: boolean;
  /** The trailing filter's words. */
  _: string[];
}

export async function runPrinter(
  args: PrintArgs,
  ctx: RunContext,
  defaults: readonly FieldName[],
  make: (fields: FieldName[], opts: { numeric: boolean; header: boolean }) => Formatter,
): Promise<void> {
  const fields = parseFieldList(args.fields, defaults);
  const input = prepareInput(args, args._);
  const fmt = make(fields, { numeric: args.numeric, header: args.header });
  const out = createStdoutSink();
  const head = fmt.header();
  if (head) out.write(head);
  let printed = 0;
  await readSelected(input, ctx, async (b, rows, n) => {
    printed += n;
    // Formatters reuse their output buffer: wait until each batch has been handed on.
    await out.writeAndWait(fmt.batch(b, rows, n));
  });
  await out.close();
  // An empty answer says why on stderr, so it is not taken for a missing one.
  const selective = input.sel.filter !== undefined || input.sel.start > -Infinity || input.sel.end < Infinity;
  if (printed === 0 && !ctx.signal.aborted && !ctx.report.failed) ctx.report.warn(selective ? 'no records matched the selection' : 'no records in the input');
}
