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
import { blockReader, formatRate, measure, measureFanOut, measureReceiver, measureTransport, onPath, ROOT, smbta } from './harness.js';
import { NO_NATS, startNats } from '../test/helpers/nats.js';

const RECORDS = Number(process.env.SMBTA_BENCH_RECORDS ?? 1_000_000);
const DB_RECORDS = Number(process.env.SMBTA_BENCH_DB_RECORDS ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'smbta-bench-'));
const stream = join(dir, 'traffic.smbta');

function makeTraffic(): SmbRecord[] {
  const t = createTraffic({ seed: 42, users: 200, shares: 5, files: 5000 });
  const records = Array.from({ length: RECORDS }, () => t.next());
  writeFileSync(stream, encodeRecords(records));
  return records;
}

/**
 * The same traffic with at most `n` distinct cluster keys (op,user,share,path): each record takes
 * the key of the first record that hashed to its bucket, keeping its own time and numbers.
 */
function withDistinctKeys(records: readonly SmbRecord[], n: number): SmbRecord[] {
  const keys = new Map<number, SmbRecord>();
  return records.map((r) => {
    let h = 0;
    for (const c of `${r.op}|${r.user}|${r.share}|${r.path}`) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
    const bucket = (h >>> 0) % n;
    const k = keys.get(bucket) ?? (keys.set(bucket, r), r);
    return { ...r, op: k.op, user: k.user, share: k.share, path: k.path };
  });
}

interface Row {
  stage: string;
  rate: number;
  target?: number;
  peakRssMiB: number;
  note?: string;
}

type Run = (stage: string, pipeline: string, target?: number, note?: string) => Promise<number>;

const ratio = (peer: number, ours: number): string => (peer >= ours ? `${(peer / ours).toFixed(1)}x faster` : `${(ours / peer).toFixed(1)}x SLOWER`);

/** Argus's C clients on an Argus file of as many flows as the smbta stream has records. */
async function compareWithArgus(records: readonly SmbRecord[], csvSeconds: number, rows: Row[], run: Run): Promise<void> {
  if (!onPath('argus') || !onPath('ra') || !onPath('racluster')) {
    console.log('(Argus not installed: no ra/racluster comparison; apt-get install argus-server argus-client to add it)\n');
    return;
  }
  const pcap = join(dir, 'flows.pcap');
  const argus = join(dir, 'flows.argus');
  writeFlowCapture(pcap, RECORDS);
  const made = makeArgusFile(pcap, argus);
  rmSync(pcap, { force: true });
  if ('error' in made) {
    console.log(`(no ra/racluster comparison: ${made.error})\n`);
    return;
  }
  const eighth = join(dir, 'eighth.smbta');
  writeFileSync(eighth, encodeRecords(withBobEveryEighth(records)));
  const ours = await run("smbta-filter 'user=bob' (1 in 8 kept)", `${smbta('smbta-filter', "'user=bob'")} < ${eighth} > /dev/null`);
  const ra = await run(
    `ra - src net 10.0.0.0/19 (1 in 8 of ${made.records.toLocaleString('en')} flows)`,
    `ra -r ${argus} -w - - src net 10.0.0.0/19 > /dev/null`,
  );
  rows.at(-1)!.note = `smbta-filter is ${ratio(ra, ours)}`;
  const raCsv = await run('ra -n -c , (CSV)', `ra -n -r ${argus} -c , > /dev/null`);
  rows.at(-1)!.note = `smbta-csv is ${ratio(raCsv, csvSeconds)} (target 2x)`;
  const byUser = await run('smbta-cluster -m user,share -p 365d', `${smbta('smbta-cluster', '-m user,share -p 365d')} < ${eighth} > /dev/null`);
  const racluster = await run('racluster -m saddr', `racluster -r ${argus} -m saddr -w - > /dev/null`);
  rows.at(-1)!.note = `smbta-cluster is ${ratio(racluster, byUser)} (target 2x)`;
}

/** Twenty rules over the stream (issue 20: 1M records/s), and the memory of 100,000 users in windows. */
async function benchAlert(records: readonly SmbRecord[], run: Run): Promise<void> {
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
  await run('smbta-alert, 20 rules (9 built-in)', `${smbta('smbta-alert', `-c ${ini} --builtin all`)} < ${stream} > /dev/null 2>&1`, 1_000_000);
  const crowd = join(dir, 'crowd.smbta');
  writeFileSync(crowd, encodeRecords(records.map((r, k) => ({ ...r, user: `u${k % 100_000}` }))));
  await run(
    'smbta-alert, 100,000 users in 24h windows',
    `${smbta('smbta-alert', '--builtin new-extensions,mass-write,failed-opens')} < ${crowd} > /dev/null 2>&1`,
    undefined,
    'peak RSS: the groups held (--max-groups 100,000 per rule)',
  );
}

/** A day's report from an archive of `n` records (issue 21: 10M in under 30 s). */
async function benchReport(n: number): Promise<Row> {
  const day = join(dir, 'day.smbta');
  // One record every 5 ms from 08:00 UTC: 10M records all fall on 2026-11-23.
  writeTraffic(day, n, 5);
  const m = await measure(`TZ=UTC ${smbta('smbta-report', `-r ${day} --day 2026-11-23 --html`)} > /dev/null 2>&1`, 1);
  rmSync(day, { force: true });
  return {
    stage: `smbta-report --day (${(n / 1e6).toFixed(0)}M records, HTML)`,
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

async function main(): Promise<void> {
  const records = makeTraffic();
  const size = statSync(stream).size;
  const rows: Row[] = [];
  const run = async (stage: string, pipeline: string, target?: number, note?: string): Promise<number> => {
    const m = await measure(pipeline);
    rows.push({ stage, rate: RECORDS / m.seconds, target, peakRssMiB: m.peakRssMiB, note });
    return m.seconds;
  };

  console.log(`smbta benchmarks: ${RECORDS.toLocaleString('en')} records of realistic traffic (200 users, 5 shares, 5,000 files)`);
  console.log(`encoded size: ${(size / RECORDS).toFixed(1)} bytes/record (target <= 40)\n`);

  await run("smbta-filter 'user=user7'", `${smbta('smbta-filter', "'user=user7'")} < ${stream} > /dev/null`, 2_000_000);
  const csvSeconds = await run('smbta-csv', `${smbta('smbta-csv', '')} < ${stream} > /dev/null`, 1_000_000);
  await run('smbta-json', `${smbta('smbta-json', '')} < ${stream} > /dev/null`);
  await run('smbta-cat', `${smbta('smbta-cat', '')} < ${stream} > /dev/null`);
  // smbta-top loads React and Ink (~0.3 s) before its first frame: its sustained rate is measured on the stream read three times.
  const topRun = await measure(`${smbta('smbta-top', `-r ${stream} -r ${stream} -r ${stream} --once`)} > /dev/null`);
  rows.push({
    stage: 'smbta-top --once (every grouping; 3x the records)',
    rate: (3 * RECORDS) / topRun.seconds,
    target: 1_000_000,
    peakRssMiB: topRun.peakRssMiB,
  });
  const ours = await run("filter 'user=user7' | csv", `${smbta('smbta-filter', "'user=user7'")} < ${stream} | ${smbta('smbta-csv', '')} > /dev/null`);

  // Four sources of a quarter each, joined and passed to eight readers.
  const all = createTraffic({ seed: 42, users: 200, shares: 5, files: 5000 });
  const quarters = [0, 1, 2, 3].map((k) => join(dir, `q${k}.smbta`));
  quarters.forEach((q) => writeFileSync(q, encodeRecords(Array.from({ length: RECORDS / 4 }, () => all.next()))));
  const fan = await measureFanOut(smbta('smbta-mux', `${quarters.map((q) => `-r ${q}`).join(' ')} -P 0 --wait-readers 8`), 8, (port) =>
    blockReader(port, RECORDS),
  );
  rows.push({
    stage: 'smbta-mux: 4 sources -> 8 readers',
    rate: RECORDS / fan.streamSeconds,
    target: 1_000_000,
    peakRssMiB: fan.peakRssMiB,
    note: `each reader got every record and checked every block; ${(RECORDS / fan.seconds / 1000).toFixed(0)}k/s counting 9 process start-ups`,
  });
  await run(
    'smbta-rotate -M time 10m (uncompressed)',
    `${smbta('smbta-rotate', `-M time 10m -w '${dir}/rot/%Y-%m-%d/smbta.%H%M.smbta'`)} < ${stream}`,
    1_000_000,
  );

  const keyed = join(dir, 'keyed.smbta');
  const keyedRecords = withDistinctKeys(records, 100_000);
  writeFileSync(keyed, encodeRecords(keyedRecords));
  const distinct = new Set(keyedRecords.map((r) => `${r.op}|${r.user}|${r.share}|${r.path}`)).size;
  const clustered = await run(
    `smbta-cluster -p 5 (${distinct.toLocaleString('en')} keys)`,
    `${smbta('smbta-cluster', '-p 5')} < ${keyed} > /dev/null`,
    1_000_000,
  );

  await compareWithArgus(records, csvSeconds, rows, run);
  await benchAlert(records, run);
  await startUp(rows);

  if (onPath('mlr')) {
    const csv = join(dir, 'traffic.csv');
    await measure(`${smbta('smbta-csv', '')} < ${stream} > ${csv}`, 1);
    const keyedCsv = join(dir, 'keyed.csv');
    await measure(`${smbta('smbta-csv', '')} < ${keyed} > ${keyedCsv}`, 1);
    const mlr = await run('mlr filter \'$user == "user7"\' (CSV in, CSV out)', `mlr --csv filter '$user == "user7"' ${csv} > /dev/null`);
    rows[rows.length - 1]!.note = `smbta is ${(mlr / ours).toFixed(1)}x faster`;
    const stats = await run(
      'mlr stats1 -a sum,count -g op,user,share,path',
      `mlr --csv stats1 -a sum,count -f bytes -g op,user,share,path ${keyedCsv} > /dev/null`,
    );
    rows[rows.length - 1]!.note = `smbta-cluster is ${(stats / clustered).toFixed(1)}x ${stats >= clustered ? 'faster' : 'SLOWER'}`;
  } else {
    console.log('(Miller not installed: no peer comparison; apt-get install miller to add it)\n');
  }

  writeFileSync(join(dir, 'key'), 'bench-key-16char');
  for (const [stage, extra, target] of [
    ['torture -c 16 -> smbta-recv (plain)', { recv: '', torture: '' }, 500_000],
    ['torture -c 16 -> smbta-recv (AES)', { recv: `-k ${join(dir, 'key')}`, torture: `-k ${join(dir, 'key')}` }, 300_000],
  ] as const) {
    const m = await measureReceiver(RECORDS, extra);
    rows.push({
      stage,
      rate: m.rate,
      target,
      peakRssMiB: m.peakRssMiB,
      note: m.peakRssMiB < 200 ? 'receiver memory under 200 MB' : 'receiver memory OVER 200 MB',
    });
  }

  rows.push(...(await benchTransports()));

  for (const r of await benchDatabases(dir, DB_RECORDS)) {
    rows.push({
      stage: r.stage,
      rate: r.rate ?? 0,
      target: r.target,
      peakRssMiB: r.peakRssMiB,
      note: [r.seconds ? `${r.seconds.toFixed(2)} s` : '', r.note].filter(Boolean).join('; '),
    });
  }

  rows.push(await benchReport(DB_RECORDS));

  const w = Math.max(...rows.map((r) => r.stage.length));
  console.log(`${'stage'.padEnd(w)}  ${'records/s'.padStart(9)}  ${'target'.padStart(7)}  ${'peak RSS'.padStart(9)}  result`);
  for (const r of rows) {
    const verdict = r.target === undefined ? '' : r.rate >= r.target ? 'meets target' : `BELOW target (${((r.rate / r.target) * 100).toFixed(0)}%)`;
    const rss = r.peakRssMiB ? `${r.peakRssMiB.toFixed(0)} MiB` : '-';
    console.log(
      `${r.stage.padEnd(w)}  ${(r.rate ? formatRate(r.rate) : '').padStart(9)}  ${(r.target ? formatRate(r.target) : '').padStart(7)}  ${rss.padStart(9)}  ${[verdict, r.note].filter(Boolean).join('; ')}`,
    );
  }
}

/** recv -> rotate through the plain -P/-S link and through JetStream (one local nats-server), the same records. */
async function benchTransports(): Promise<Row[]> {
  if (NO_NATS) {
    console.log(`(no JetStream figures: ${NO_NATS})\n`);
    return [];
  }
  const archive = (name: string): string => (mkdirSync(join(dir, name)), join(dir, name));
  const plain = await measureTransport(RECORDS, '-P 0', (port) => `-S 127.0.0.1:${port}`, archive('plain'));
  const nats = await startNats();
  try {
    const js = await measureTransport(
      RECORDS,
      `-w nats://${nats.servers}/smbta.bench`,
      () => `-S nats://${nats.servers}/SMBTA --durable bench --state ${join(dir, 'rotate.state')}`,
      archive('jetstream'),
    );
    const [p, j] = [RECORDS / plain.seconds, RECORDS / js.seconds];
    return [
      { stage: 'torture -> recv -P -> rotate -S', rate: p, peakRssMiB: plain.peakRssMiB },
      {
        stage: 'torture -> recv -> JetStream -> rotate --durable',
        rate: j,
        peakRssMiB: js.peakRssMiB,
        note: `${((j / p) * 100).toFixed(0)}% of the plain link`,
      },
    ];
  } finally {
    await nats.stop();
  }
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
