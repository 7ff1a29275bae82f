import { READER_OPTIONS } from '../cli/options.js';
import { openBinaryOutput } from '../runtime/output.js';
import type { Program } from '../cli/program.js';
import { forwardSelected } from '../runtime/forward.js';
import { prepareInput, splitReadArgs, type ReaderArgs } from '../runtime/input.js';
import { printExpr } from '../filter/ast.js';
import { compileFilter } from '../filter/compile.js';
import { parseFilter } from '../filter/parser.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

interface FilterArgs extends ReaderArgs {
  write?: string;
  check?: boolean;
  explain?: boolean;
}

export const filter: Program = {
  name: 'smbta-filter',
  summary: 'keep the records an expression selects (stream in, stream out)',
  description:
    'Reads a stream, keeps the records the filter expression (and -t, -N) select, and writes them as a stream. ' +
    'Blocks whose records all match pass through unchanged; status and gap blocks are kept so loss stays visible.',
  options: [...READER_OPTIONS, 'write', 'check', 'explain'],
  positional: FILTER_POSITIONAL,
  examples: [
    ["smbta-recv | smbta-filter 'user=bob' | smbta-csv", "bob's operations as CSV"],
    ["smbta-filter -R archive 'share~^proj and bytes>=1M' -w big.smbta.bz2", 'large project transfers into a compressed file'],
    ["smbta-filter --check 'client in 10.0.0.0/8 and not read'", 'validate an expression without reading data'],
    ["smbta-filter --explain 'user=bob or user=eve and write'", 'show how an expression groups'],
  ],
  exitStatus: READER_EXIT_STATUS,
  async run(raw, ctx) {
    const args = raw as FilterArgs;
    if (args.check || args.explain) {
      const text = splitReadArgs(args).filter;
      const expr = parseFilter(text);
      compileFilter(expr, text);
      if (args.explain) process.stdout.write(printExpr(expr) + '\n');
      return;
    }
    const input = prepareInput(args);
    await forwardSelected(input, ctx, openBinaryOutput('smbta-filter', args.write, { flushMs: args.remote?.length ? 100 : 0 }));
  },
};
