/** `-M KIND AMOUNT`: how smbta-rotate splits files and how smbta-cluster bins time. */
export type SplitMode = { kind: 'time'; ms: number } | { kind: 'size'; bytes: number } | { kind: 'count'; records: number };
