import type { FieldName } from '../record/fields.js';
import { pick, READER } from '../cli/options.js';
import { runPrinter } from '../runtime/print.js';
import { defineProgram } from '../cli/program.js';
import { createTextFormatter } from '../format/text.js';
import { FILTER_POSITIONAL, READER_EXIT_STATUS } from './common.js';

const DEFAULT_FIELDS: FieldName[] = ['time', 'server', 'client', 'user', 'share', 'op', 'bytes', 'path'];

export const cat = defineProgram({
  name: 'smbta-cat',
  summary: 'print records as aligned columns for people',
  description:
    `Prints each selected record on one line: local times and human-readable sizes unless -n. ` +
    `Default fields: ${DEFAULT_FIELDS.join(',')}; a rename shows its target as 'path -> path2'.`,
  options: { ...READER, ...pick('fields', 'numeric', 'header') },
  positional: FILTER_POSITIONAL,
  examples: [
    ['smbta-cat -r day.smbta', 'print every record of a file'],
    ["smbta-cat -R archive/2026-11-23 'user=bob and write'", "bob's writes on one day"],
    ['smbta-cat -S localhost:3491 -s +sid,-server', 'follow a live stream, adding sid and dropping server'],
    ['smbta-cat -r day.smbta.bz2 -t 10:00-11:00 -n', 'one hour, raw numbers'],
  ],
  exitStatus: READER_EXIT_STATUS,
  run: (args, ctx) => runPrinter(args, ctx, DEFAULT_FIELDS, createTextFormatter),
});
