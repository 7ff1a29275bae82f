import { READER, STREAM_OUT } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { printExpr } from '../filter/ast.js';
import { compileFilter } from '../filter/compile.js';
import { parseFilter } from '../filter/parser.js';
import { forwardSelected } from '../runtime/forward.js';
import { liveFlushMs, prepareInput } from '../runtime/input.js';
import { openBinaryOutput } from '../runtime/output.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

export const filter = defineProgram({
  name: 'smbta-filter',
  summary: 'keep the records an expression selects (stream in, stream out)',
  description:
    'Reads a stream, keeps the records the filter expression (and -t, -N) select, and writes them as a stream. ' +
    'Blocks whose records all match pass through unchanged; status and gap blocks are kept so loss stays visible.',
  options: {
    ...READER,
    ...STREAM_OUT,
    check: { kind: 'flag', group: 'Filter', describe: 'only check the expression: exit 0 if valid, 2 if not; read nothing' },
    explain: { kind: 'flag', group: 'Filter', describe: 'print the expression fully parenthesised, as parsed, and exit' },
  },
  positional: FILTER_POSITIONAL,
  examples: [
    ["smbta-recv | smbta-filter 'user=bob' | smbta-csv", "bob's operations as CSV"],
    ["smbta-filter -R archive 'share~^proj and bytes>=1M' -w big.smbta.bz2", 'large project transfers into a compressed file'],
    ["smbta-filter --check 'client in 10.0.0.0/8 and not read'", 'validate an expression without reading data'],
    ["smbta-filter --explain 'user=bob or user=eve and write'", 'show how an expression groups'],
  ],
  exitStatus: READER_EXIT_STATUS,
  async run(args, ctx) {
    if (args.check || args.explain) {
      const text = args._.join(' ');
      const expr = parseFilter(text);
      compileFilter(expr, text);
      if (args.explain) process.stdout.write(printExpr(expr) + '\n');
      return;
    }
    const input = prepareInput(args, args._);
    await forwardSelected(input, ctx, openBinaryOutput('smbta-filter', args, { flushMs: liveFlushMs(input) }));
  },
});
