/**
 * `npm run bench`: the speed and size targets of the issues, measured in one run on
 * whole processes, with the ratio to peer tools (Argus's ra and racluster, Miller, sqlite3)
 * when they are installed.
 */
import { mkdirSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecords } from '../src/stream/builder.js';
import type { SmbRecord } from '../src/record/fields.js';
import { createTraffic } from '../src/synth/traffic.js';
import { makeArgusFile, withBobEveryEighth, writeFlowCapture } from './argus.js';
import { benchDatabases, writeTraffic } from './db.js';
import {
  blockReader,
  count,
  formatRate,
  measure,
  measureFanOut,
  measureFirstLines,
  measureReceiver,
  measureTransport,
  onPath,
  rateSpread,
  ratio,
  ROOT,
  smbta,
  spread,
} from './harness.js';
import { NO_NATS, startNats } from '../test/helpers/nats.js';

const RECORDS = Number(process.env.SMBTA_BENCH_RECORDS ?? 1_000_000);
/** The stream stages run at these multiples of RECORDS, so that a cost growing faster than the records shows. */
const SCALES = (process.env.SMBTA_BENCH_SCALES ?? '1,10').split(',').map(Number);
const DB_RECORDS = Number(process.env.SMBTA_BENCH_DB_RECORDS ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'smbta-bench-'));

/** Realistic traffic (200 users, 5 shares, 5,000 files), the same for every stage of a size. */
const traffic = (path: string, n: number, map?: (r: SmbRecord, k: number) => SmbRecord, seed = 42): string => (writeTraffic(path, n, 1, seed, map), path);

/**
 * A map giving the traffic at most `n` distinct cluster keys (op,user,share,path): each record
 * takes the key of the first record that hashed to its bucket, keeping its own time and numbers.
 */
function withDistinctKeys(n: number): (r: SmbRecord) => SmbRecord {
  const keys = new Map<number, SmbRecord>();
  return (r) => {
    let h = 0;
    for (const c of `${r.op}|${r.user}|${r.share}|${r.path}`) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
    const bucket = (h >>> 0) % n;
    const k = keys.get(bucket) ?? (keys.set(bucket, r), r);
    return { ...r, op: k.op, user: k.user, share: k.share, path: k.path };
  };
}

interface Row {
  stage: string;
  rate: number;
  target?: number;
  peakRssMiB: number;
  note?: string;
  /** The slowest and fastest run's rate (or time), when there were several. */
  spread?: string;
}

/** Measures `pipeline` over `n` records; returns its median seconds. */
type Run = (stage: string, pipeline: string, n: number, target?: number, note?: string) => Promise<number>;

/** Argus's C clients on an Argus file of as many flows as the smbta stream has records. */
async function compareWithArgus(n: number, csvSeconds: number, rows: Row[], run: Run): Promise<void> {
  if (!onPath('argus') || !onPath('ra') || !onPath('racluster')) {
    console.log('(Argus not installed: no ra/racluster comparison; apt-get install argus-server argus-client to add it)\n');
    return;
  }
  const pcap = join(dir, 'flows.pcap');
  const argus = join(dir, 'flows.argus');
  writeFlowCapture(pcap, n);
  const made = makeArgusFile(pcap, argus);
  rmSync(pcap, { force: true });
  if ('error' in made) {
    console.log(`(no ra/racluster comparison: ${made.error})\n`);
    return;
  }
  const eighth = traffic(join(dir, 'eighth.smbta'), n, withBobEveryEighth);
  const ours = await run(`smbta-filter 'user=bob' (1 in 8 kept)`, `${smbta('smbta-filter', "'user=bob'")} < ${eighth} > /dev/null`, n);
  const ra = await run(
    `ra - src net 10.0.0.0/19 (1 in 8 of ${made.records.toLocaleString('en')} flows)`,
    `ra -r ${argus} -w - - src net 10.0.0.0/19 > /dev/null`,
    n,
  );
  rows.at(-1)!.note = `smbta-filter is ${ratio(ra, ours)} (target: faster${n >= 10e6 ? ', 1.5x' : ''})`;
  const raCsv = await run('ra -n -c , (CSV)', `ra -n -r ${argus} -c , > /dev/null`, n);
  rows.at(-1)!.note = `smbta-csv is ${ratio(raCsv, csvSeconds)} (target 2x)`;
  const byUser = await run('smbta-cluster -m user,share -p 365d', `${smbta('smbta-cluster', '-m user,share -p 365d')} < ${eighth} > /dev/null`, n);
  const racluster = await run('racluster -m saddr', `racluster -r ${argus} -m saddr -w - > /dev/null`, n);
  rows.at(-1)!.note = `smbta-cluster is ${ratio(racluster, byUser)} (target 2x)`;
  rmSync(argus, { force: true });
  rmSync(eighth, { force: true });
}

/** Twenty rules over the stream (issue 20: 1M records/s), and the memory of 100,000 users in windows. */
async function benchAlert(stream: string, n: number, run: Run): Promise<void> {
  const custom = [
    ['read-heavy', 'read', 'user', 'bytes', '1h', '50G'],
    ['write-heavy', 'write', 'user', 'bytes', '1h', '50G'],
    ['share-burst', '', 'share', 'operations', '1m', '100000'],
    ['client-burst', '', 'client', 'operations', '1m', '50000'],
    ['user-share', '', 'user,share', 'operations', '10m', '100000'],
    ['many-files', 'open', 'user', 'paths', '10m', '5000'],
    ['deletes-share', 'delete or rmdir', 'share', 'operations', '1h', '10000'],
    ['renames-client', 'rename', 'client', 'operations', '1h', '10000'],
    ['failures-share', '', 'share', 'failures', '10m', '5000'],
    ['big-reads', 'read and bytes>1M', 'user', 'operations', '1h', '1000'],
    ['slow', 'latency>100ms', 'server', 'operations', '10m', '1000'],
  ];
  const rules = custom
    .map(
      ([name, select, by, measure, over, above]) =>
        `[rule ${name}]\n${select ? `select = ${select}\n` : ''}by = ${by}\nmeasure = ${measure}\nover = ${over}\nabove = ${above}\n`,
    )
    .join('\n');
  const ini = join(dir, 'alert.ini');
  writeFileSync(ini, rules);
  await run('smbta-alert, 20 rules (9 built-in)', `${smbta('smbta-alert', `-c ${ini} --builtin all`)} < ${stream} > /dev/null 2>&1`, n, 1_000_000);
  const crowd = traffic(join(dir, 'crowd.smbta'), n, (r, k) => ({ ...r, user: `u${k % 100_000}` }));
  await run(
    'smbta-alert, 100,000 users in 24h windows',
    `${smbta('smbta-alert', '--builtin new-extensions,mass-write,failed-opens')} < ${crowd} > /dev/null 2>&1`,
    n,
    undefined,
    'peak RSS: the groups held (--max-groups 100,000 per rule)',
  );
  rmSync(crowd, { force: true });
}

/** An archive of 50,000 small files (issue 23: `-R DIR` starts printing within 1 s), and reading it whole. */
async function archiveStart(rows: Row[]): Promise<void> {
  const arch = join(dir, 'many');
  const [files, each] = [50_000, 10];
  const t = createTraffic({ seed: 7, users: 20, shares: 2, files: 100, gapMs: 1000 });
  for (let f = 0; f < files; f++) {
    const day = join(arch, `day${Math.floor(f / 1000)}`);
    if (f % 1000 === 0) mkdirSync(day, { recursive: true });
    writeFileSync(join(day, `smbta.${f % 1000}.smbta`), encodeRecords(Array.from({ length: each }, () => t.next())));
  }
  const first = await measureFirstLines(smbta('smbta-csv', `-R ${arch}`), 2);
  const whole = await measure(`${smbta('smbta-csv', `-R ${arch}`)} > /dev/null`);
  rows.push({
    stage: `smbta-csv -R: ${files.toLocaleString('en')} files of ${each} records`,
    rate: (files * each) / whole.seconds,
    spread: rateSpread(files * each, whole),
    peakRssMiB: whole.peakRssMiB,
    note: `first record after ${first.seconds.toFixed(2)} s (${first.min.toFixed(2)}-${first.max.toFixed(2)}; target 1 s)`,
  });
  rmSync(arch, { recursive: true, force: true });
}

/** A day's report from an archive of `n` records (issue 21: 10M in under 30 s). */
async function benchReport(n: number): Promise<Row> {
  const day = join(dir, 'day.smbta');
  // One record every 5 ms from 08:00 UTC: 10M records all fall on 2026-11-23.
  writeTraffic(day, n, 5);
  const m = await measure(`TZ=UTC ${smbta('smbta-report', `-r ${day} --day 2026-11-23 --html`)} > /dev/null 2>&1`, 1);
  rmSync(day, { force: true });
  return {
    stage: `smbta-report --day (${count(n)} records, HTML)`,
    rate: n / m.seconds,
    target: n / 30,
    peakRssMiB: m.peakRssMiB,
    note: `${m.seconds.toFixed(1)} s (target 30 s)`,
  };
}

/** Fixed cost: a program's start against bare Node's (issue 23: within 15 ms). */
async function startUp(rows: Row[]): Promise<void> {
  const node = (await measure('node -e 0', 5)).seconds;
  const empty = join(dir, 'empty.smbta');
  writeFileSync(empty, '');
  for (const [stage, pipeline] of [
    // Without the memory probe, which loads a module of its own.
    ['start-up: smbta-filter --version', `node ${ROOT}bin/smbta-filter.js --version > /dev/null`],
    ['start-up: smbta-csv on an empty file', `node ${ROOT}bin/smbta-csv.js -r ${empty} > /dev/null 2>&1 || true`],
  ] as const) {
    const m = await measure(pipeline, 5);
    const ms = (v: number): string => `${(v * 1000).toFixed(0)} ms`;
    rows.push({
      stage,
      rate: 0,
      peakRssMiB: m.peakRssMiB,
      note: `${ms(m.seconds)}: ${ms(m.seconds - node)} above bare node -e 0 (${ms(node)}; target within 15 ms)`,
    });
  }
}

/** Every stage that reads the stream, over `n` records: smbta's programs and, side by side, the peers'. */
async function streamStages(n: number, rows: Row[], measured: Run): Promise<void> {
  const stream = traffic(join(dir, 'traffic.smbta'), n);
  console.log(`${count(n)} records: ${(statSync(stream).size / n).toFixed(1)} bytes/record encoded (target <= 40)`);
  const at = (stage: string): string => `${stage} [${count(n)}]`;
  const run: Run = (stage, ...rest) => measured(at(stage), ...rest);
  await run("smbta-filter 'user=user7'", `${smbta('smbta-filter', "'user=user7'")} < ${stream} > /dev/null`, n, 2_000_000);
  const csvSeconds = await run('smbta-csv', `${smbta('smbta-csv', '')} < ${stream} > /dev/null`, n, 1_000_000);
  await run('smbta-json', `${smbta('smbta-json', '')} < ${stream} > /dev/null`, n);
  await run('smbta-cat', `${smbta('smbta-cat', '')} < ${stream} > /dev/null`, n);
  // smbta-top loads React and Ink (~0.3 s) before its first frame: its sustained rate is measured on the stream read three times.
  await run(
    'smbta-top --once (every grouping; 3x the records)',
    `${smbta('smbta-top', `-r ${stream} -r ${stream} -r ${stream} --once`)} > /dev/null`,
    3 * n,
    1_000_000,
  );
  const ours = await run("filter 'user=user7' | csv", `${smbta('smbta-filter', "'user=user7'")} < ${stream} | ${smbta('smbta-csv', '')} > /dev/null`, n);

  // Four sources of a quarter each, joined and passed to eight readers. Eight readers share two cores with
  // the server: at 10M one falls more than the default 16 MiB behind at times, and would lose the oldest.
  const quarters = [0, 1, 2, 3].map((k) => traffic(join(dir, `q${k}.smbta`), n / 4, undefined, 42 + k));
  const fan = await measureFanOut(smbta('smbta-mux', `${quarters.map((q) => `-r ${q}`).join(' ')} -P 0 --wait-readers 8`), 8, (port) => blockReader(port, n));
  rows.push({
    stage: at('smbta-mux: 4 sources -> 8 readers'),
    rate: n / fan.streamSeconds,
    target: 1_000_000,
    peakRssMiB: fan.peakRssMiB,
    note: `each reader got every record (files: the replay waits for the slowest) and checked every block; ${(n / fan.seconds / 1000).toFixed(0)}k/s counting 9 process start-ups`,
  });
  quarters.forEach((q) => rmSync(q, { force: true }));
  await run(
    'smbta-rotate -M time 10m (uncompressed)',
    `${smbta('smbta-rotate', `-M time 10m -w '${dir}/rot/%Y-%m-%d/smbta.%H%M.smbta'`)} < ${stream}`,
    n,
    1_000_000,
  );
  rmSync(join(dir, 'rot'), { recursive: true, force: true });

  const keyed = traffic(join(dir, 'keyed.smbta'), n, withDistinctKeys(100_000));
  const clustered = await run('smbta-cluster -p 5 (up to 100,000 keys)', `${smbta('smbta-cluster', '-p 5')} < ${keyed} > /dev/null`, n, 1_000_000);

  await compareWithArgus(n, csvSeconds, rows, run);
  await benchAlert(stream, n, run);
  // Miller reads CSV at a tenth of our rate: minutes a run at 10M, so only at the first size.
  if (onPath('mlr') && n === RECORDS * SCALES[0]!) {
    const csv = join(dir, 'traffic.csv');
    await measure(`${smbta('smbta-csv', '')} < ${stream} > ${csv}`, 1);
    const keyedCsv = join(dir, 'keyed.csv');
    await measure(`${smbta('smbta-csv', '')} < ${keyed} > ${keyedCsv}`, 1);
    const mlr = await run('mlr filter \'$user == "user7"\' (CSV in, CSV out)', `mlr --csv filter '$user == "user7"' ${csv} > /dev/null`, n);
    rows[rows.length - 1]!.note = `smbta is ${ratio(mlr, ours)}`;
    const stats = await run(
      'mlr stats1 -a sum,count -g op,user,share,path',
      `mlr --csv stats1 -a sum,count -f bytes -g op,user,share,path ${keyedCsv} > /dev/null`,
      n,
    );
    rows[rows.length - 1]!.note = `smbta-cluster is ${ratio(stats, clustered)}`;
    [csv, keyedCsv].forEach((f) => rmSync(f, { force: true }));
  } else if (!onPath('mlr')) {
    console.log('(Miller not installed: no peer comparison; apt-get install miller to add it)\n');
  }
  for (const [stage, extra, target] of [
    ['torture -c 16 -> smbta-recv (plain)', { recv: '', torture: '' }, 1_000_000],
    ['torture -c 16 -> smbta-recv (AES)', { recv: `-k ${join(dir, 'key')}`, torture: `-k ${join(dir, 'key')}` }, 700_000],
  ] as const) {
    const m = await measureReceiver(n, extra);
    const times = spread(m.rates.map((r) => 1 / r));
    rows.push({
      stage: at(stage),
      rate: 1 / times.seconds,
      spread: rateSpread(1, times),
      target,
      peakRssMiB: m.peakRssMiB,
      note: m.peakRssMiB < 200 ? 'receiver memory under 200 MB' : 'receiver memory OVER 200 MB',
    });
  }
  [stream, keyed].forEach((f) => rmSync(f, { force: true }));
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const run: Run = async (stage, pipeline, n, target, note) => {
    const m = await measure(pipeline);
    rows.push({ stage, rate: n / m.seconds, spread: rateSpread(n, m), target, peakRssMiB: m.peakRssMiB, note });
    return m.seconds;
  };
  console.log(`smbta benchmarks: realistic traffic (200 users, 5 shares, 5,000 files); medians of 3 runs, the slowest and fastest beside them`);
  writeFileSync(join(dir, 'key'), 'bench-key-16char');
  for (const scale of SCALES) await streamStages(RECORDS * scale, rows, run);
  await startUp(rows);
  await archiveStart(rows);
  rows.push(...(await benchTransports()));

  for (const r of await benchDatabases(dir, DB_RECORDS)) {
    rows.push({
      stage: r.stage,
      rate: r.rate ?? 0,
      target: r.target,
      peakRssMiB: r.peakRssMiB,
      spread: r.spread,
      note: [r.seconds ? `${r.seconds.toFixed(2)} s` : '', r.note].filter(Boolean).join('; '),
    });
  }

  rows.push(await benchReport(DB_RECORDS));

  const w = Math.max(...rows.map((r) => r.stage.length));
  const sw = Math.max(9, ...rows.map((r) => r.spread?.length ?? 0));
  console.log(`${'stage'.padEnd(w)}  ${'records/s'.padStart(9)}  ${'min-max'.padStart(sw)}  ${'target'.padStart(7)}  ${'peak RSS'.padStart(9)}  result`);
  for (const r of rows) {
    const verdict = r.target === undefined ? '' : r.rate >= r.target ? 'meets target' : `BELOW target (${((r.rate / r.target) * 100).toFixed(0)}%)`;
    const rss = r.peakRssMiB ? `${r.peakRssMiB.toFixed(0)} MiB` : '-';
    console.log(
      `${r.stage.padEnd(w)}  ${(r.rate ? formatRate(r.rate) : '').padStart(9)}  ${(r.spread ?? '').padStart(sw)}  ${(r.target ? formatRate(r.target) : '').padStart(7)}  ${rss.padStart(9)}  ${[verdict, r.note].filter(Boolean).join('; ')}`,
    );
  }
}

/**
 * recv -> rotate through the plain -P/-S link, through JetStream on one local nats-server,
 * and through a three-node cluster holding the stream in three replicas: the same records.
 */
async function benchTransports(): Promise<Row[]> {
  if (NO_NATS) {
    console.log(`(no JetStream figures: ${NO_NATS})\n`);
    return [];
  }
  const archive = (name: string): string => (mkdirSync(join(dir, name)), join(dir, name));
  const plain = await measureTransport(RECORDS, '-P 0', (port) => `-S 127.0.0.1:${port}`, archive('plain'));
  const p = RECORDS / plain.seconds;
  const rows: Row[] = [{ stage: 'torture -> recv -P -> rotate -S', rate: p, peakRssMiB: plain.peakRssMiB }];
  for (const [size, stage, subject] of [
    [1, 'torture -> recv -> JetStream -> rotate --durable', 'smbta.bench'],
    [3, 'the same through a 3-node cluster, 3 replicas', 'smbta.bench?replicas=3'],
  ] as const) {
    const nats = await startNats(size);
    try {
      const js = await measureTransport(
        RECORDS,
        `-w nats://${nats.servers}/${subject}`,
        () => `-S nats://${nats.servers}/SMBTA --durable bench --state ${join(dir, `rotate-${size}.state`)}`,
        archive(`jetstream-${size}`),
      );
      const j = RECORDS / js.seconds;
      rows.push({ stage, rate: j, peakRssMiB: js.peakRssMiB, note: `${((j / p) * 100).toFixed(0)}% of the plain link` });
    } finally {
      await nats.stop();
    }
  }
  return rows;
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
