import { FIELD_NAMES } from '../record/fields.js';
import { pick, READER } from '../cli/options.js';
import { runPrinter } from '../runtime/print.js';
import { defineProgram } from '../cli/program.js';
import { createJsonFormatter } from '../format/ndjson.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

export const json = defineProgram({
  name: 'smbta-json',
  summary: 'print records as JSON, one object per line',
  description:
    'Writes newline-delimited JSON for programs (jq, scripts). Times are ISO 8601 UTC strings with ' +
    'milliseconds (-n: ms since the epoch as numbers); op is its name; sizes are numbers. Default: every field.',
  options: { ...READER, ...pick('fields', 'numeric') },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-json -r day.smbta | jq -r .user | sort | uniq -c', 'operations per user'],
    ["smbta-json -S localhost:3491 'bytes>100M'", 'follow large transfers live'],
  ],
  exitStatus: READER_EXIT_STATUS,
  run: (args, ctx) => runPrinter({ ...args, header: false }, ctx, FIELD_NAMES, createJsonFormatter),
});
