/** Hand-written records covering every field and every op, including awkward text. */
import { OPS, type SmbRecord } from '../../src/record/fields.js';

const T0 = Date.UTC(2026, 10, 23, 9, 59, 58, 123);

export function everyOpRecords(): SmbRecord[] {
  const users = ['bob', 'alice', "o'brien, pat", 'zoë "zed"'];
  return OPS.map((_, op) => ({
    time: T0 + op * 1500,
    end: T0 + op * 1500 + (op === 9 ? 250 : 0),
    op,
    user: users[op % users.length]!,
    sid: `S-1-5-21-1-2-3-${1000 + (op % users.length)}`,
    domain: op === 3 ? 'WORKGROUP' : 'EXAMPLE',
    share: op < 5 ? 'projects' : 'home, shared',
    path: op === 7 ? 'docs/line\nbreak "quoted".txt' : `docs/file${op}.txt`,
    path2: op === 6 ? 'docs/renamed, ü.txt' : '',
    client: op % 2 ? '2001:db8::17' : '192.168.1.10',
    server: 'fs1',
    bytes: op < 4 ? [4096, 2 ** 40 + 7, 1, 2 ** 53 - 1][op]! : 0,
    count: op === 9 ? 12 : 1,
    mode: op === 4 || op === 8 ? 493 : 0,
    result: op === 5 ? -1 : 0,
    latency: op === 9 ? 1500 : 0,
    latency_max: op === 9 ? 900 : 0,
  }));
}
