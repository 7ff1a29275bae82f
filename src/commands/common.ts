/** Words several commands share, kept once. */
export const FILTER_POSITIONAL = {
  name: 'filter',
  describe: "filter expression selecting records, e.g. 'user=bob and bytes>1M' (see docs/filter.md)",
} as const;

export const READER_EXIT_STATUS =
  '0 when all input was read (a truncated last block is only a warning), 1 when input was missing or damaged (readable records are still printed), 2 for a bad option or filter.';
