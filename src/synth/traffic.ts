/**
 * Seeded, realistic file-server traffic: a few heavy users and many light ones, sessions
 * of open, reads or writes of varied sizes and close, with the odd rename, mkdir, rmdir
 * and chdir, and names with non-ASCII, commas and quotes. Same seed, same records.
 */
import type { SmbRecord } from '../record/fields.js';

export interface TrafficOptions {
  seed?: number;
  users?: number;
  shares?: number;
  files?: number;
  servers?: number;
  /** Time of the first record, ms since the epoch (UTC). */
  start?: number;
  /** Mean gap between records, ms. */
  gapMs?: number;
}

/** mulberry32: tiny, fast, good enough for test data. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The second and third users have the names the documentation's examples use. */
const NAMED_USERS = ['bob', 'eve'];
const AWKWARD_USERS = ['müller', "o'brien, pat", 'zoë "zed"', '田中'];
const AWKWARD_FILES = ['Bericht "Q3", final.docx', 'naïve résumé.txt', 'a,b,c.csv', 'line\nbreak.txt', '予算.xlsx'];
const EXTS = ['docx', 'xlsx', 'pdf', 'txt', 'dat', 'png', 'iso'];
const SHARE_NAMES = ['projects', 'home', 'finance', 'scans', 'media', 'software', 'public', 'archive'];

export function createTraffic(opts: TrafficOptions = {}): { next(): SmbRecord } {
  const rnd = createRandom(opts.seed ?? 1);
  const nUsers = opts.users ?? 200;
  const nShares = opts.shares ?? 5;
  const nFiles = opts.files ?? 5000;
  const nServers = opts.servers ?? 2;
  const gap = opts.gapMs ?? 1;
  let time = opts.start ?? Date.UTC(2026, 10, 23, 8, 0, 0);
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd() * xs.length)]!;
  // Zipf-like weights: user k is about 1/k as busy as user 1.
  const zipf = (n: number): number => Math.min(n - 1, Math.floor(Math.exp(rnd() * Math.log(n + 1))) - 1);

  const users = Array.from({ length: nUsers }, (_, k) => ({
    user: k >= 1 && k <= NAMED_USERS.length ? NAMED_USERS[k - 1]! : k > 2 && k < AWKWARD_USERS.length ? AWKWARD_USERS[k - 3]! : `user${k}`,
    sid: `S-1-5-21-1004336348-1177238915-682003330-${1000 + k}`,
    client: k % 17 === 5 ? `2001:db8::${(k + 1).toString(16)}` : `10.${1 + (k >> 16)}.${(k >> 8) & 255}.${(k & 255) + 1}`,
  }));
  const shares = SHARE_NAMES.slice(0, nShares).concat(Array.from({ length: Math.max(0, nShares - SHARE_NAMES.length) }, (_, k) => `share${k}`));
  const files = Array.from({ length: nFiles }, (_, k) =>
    k < AWKWARD_FILES.length ? `docs/${AWKWARD_FILES[k]}` : `dir${k % 97}/sub${k % 7}/file${k}.${EXTS[k % EXTS.length]}`,
  );
  const servers = Array.from({ length: nServers }, (_, k) => `fs${k + 1}`);

  const queue: SmbRecord[] = [];
  const base = (u: (typeof users)[number], share: string, server: string): SmbRecord => {
    time += Math.floor(rnd() * gap * 2);
    return {
      time,
      end: time,
      op: 0,
      user: u.user,
      sid: u.sid,
      domain: 'EXAMPLE',
      share,
      path: '',
      path2: '',
      client: u.client,
      server,
      bytes: 0,
      count: 1,
      mode: 0,
      result: 0,
      latency: 0,
      latency_max: 0,
    };
  };

  /** One session: open, a run of reads or writes, close; sometimes a directory operation. */
  const session = (): void => {
    const u = users[zipf(nUsers)]!;
    const share = shares[zipf(shares.length)]!;
    const server = pick(servers);
    const path = files[zipf(nFiles)]!;
    const r = rnd();
    if (r < 0.03) {
      const dir = `${path.slice(0, path.lastIndexOf('/'))}/new${Math.floor(rnd() * 100)}`;
      queue.push({ ...base(u, share, server), op: 4, path: dir, mode: 493, result: 0 });
      queue.push({ ...base(u, share, server), op: 7, path: dir, result: 0 });
      queue.push({ ...base(u, share, server), op: 5, path: dir, result: rnd() < 0.2 ? -1 : 0 });
      return;
    }
    if (r < 0.05) {
      queue.push({ ...base(u, share, server), op: 6, path, path2: `${path}.old`, result: 0 });
      return;
    }
    const writing = rnd() < 0.35;
    queue.push({ ...base(u, share, server), op: 8, path, mode: writing ? 66 : 0, result: rnd() < 0.02 ? -1 : 0 });
    const n = 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < n; k++) {
      const size = 2 ** (9 + Math.floor(rnd() * 12)) - (rnd() < 0.3 ? Math.floor(rnd() * 512) : 0);
      const op = (writing ? 2 : 0) + (rnd() < 0.3 ? 1 : 0);
      queue.push({ ...base(u, share, server), op, path, bytes: size });
    }
    queue.push({ ...base(u, share, server), op: 9, path, result: 0 });
  };

  return {
    next(): SmbRecord {
      if (queue.length === 0) session();
      return queue.shift()!;
    },
  };
}
