import { FIELD_NAMES } from '../record/fields.js';
import { pick, READER } from '../cli/options.js';
import { runPrinter } from '../runtime/print.js';
import { defineProgram } from '../cli/program.js';
import { createCsvFormatter } from '../format/csv.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

export const csv = defineProgram({
  name: 'smbta-csv',
  summary: 'print records as CSV for spreadsheets',
  description:
    'Writes RFC 4180 CSV (CRLF line ends, quotes where needed) with a header row. Times are ISO 8601 UTC ' +
    'with milliseconds (-n: ms since the epoch); sizes are plain byte counts. Default: every field.',
  options: { ...READER, ...pick('fields', 'numeric', 'header') },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-csv -r day.smbta > day.csv', 'a whole file as CSV'],
    ["smbta-filter 'share=projects' < day.smbta | smbta-csv -s time,user,op,bytes,path", 'chosen columns'],
  ],
  exitStatus: READER_EXIT_STATUS,
  run: (args, ctx) => runPrinter(args, ctx, FIELD_NAMES, createCsvFormatter),
});
