/**
 * Runs whole programs as a user would and measures them: wall time (median, fastest and slowest of N runs),
 * records per second, and peak memory of every smbta process in the pipeline.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = new URL('./rss-probe.js', import.meta.url).href;

export interface Measurement {
  /** The median run's wall time, and the fastest and slowest: the machine's noise. */
  seconds: number;
  min: number;
  max: number;
  peakRssMiB: number;
}

/** `smbta-x args` as a shell word list, with the memory probe preloaded. */
export function smbta(program: string, args: string): string {
  return `node --import ${PROBE} ${ROOT}bin/${program}.js ${args}`;
}

/** Runs a shell pipeline `runs` times; returns the median, fastest and slowest run and the largest peak RSS seen. */
export async function measure(pipeline: string, runs = 3): Promise<Measurement> {
  const times: number[] = [];
  let peak = 0;
  for (let k = 0; k < runs; k++) {
    const rssFile = join(tmpdir(), `smbta-bench-rss-${process.pid}-${k}`);
    const start = process.hrtime.bigint();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('bash', ['-o', 'pipefail', '-c', pipeline], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, SMBTA_RSS_OUT: rssFile },
      });
      child.on('close', resolve);
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (code !== 0) throw new Error(`benchmark pipeline failed (${code}): ${pipeline}`);
    peak = Math.max(peak, takePeakRss(rssFile));
  }
  return { ...spread(times), peakRssMiB: peak };
}

/** The median, fastest and slowest of several runs' times. */
export function spread(times: readonly number[]): Pick<Measurement, 'seconds' | 'min' | 'max'> {
  const sorted = [...times].sort((a, b) => a - b);
  return { seconds: sorted[Math.floor((sorted.length - 1) / 2)]!, min: sorted[0]!, max: sorted.at(-1)! };
}

/** The largest peak RSS (MiB) the probed processes wrote to `rssFile`, which is removed; 0 when none wrote (peer tools only). */
function takePeakRss(rssFile: string): number {
  let peak = 0;
  try {
    for (const line of readFileSync(rssFile, 'utf8').split('\n').filter(Boolean)) peak = Math.max(peak, Number(line) / 1024);
  } catch {
    // Nothing probed.
  }
  rmSync(rssFile, { force: true });
  return peak;
}

export function onPath(tool: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
}

/** 200k, 1M, 10M: a record count in a stage's name. */
export const count = (n: number): string => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : `${+(n / 1e3).toFixed(0)}k`);

/** How much faster ours is than the peer, from the two's seconds. */
export const ratio = (peer: number, ours: number): string => (peer >= ours ? `${(peer / ours).toFixed(1)}x faster` : `${(ours / peer).toFixed(1)}x SLOWER`);

/** The slowest and fastest of several runs over `n` records as rates: `1.43M-1.50M`. */
export const rateSpread = (n: number, m: Pick<Measurement, 'min' | 'max'>): string => `${formatRate(n / m.max)}-${formatRate(n / m.min)}`;

export function formatRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
}

/**
 * smbta-torture (16 connections, full speed) into smbta-recv writing to /dev/null. The rate is
 * torture's: its clock stops when the receiver has read the last byte and closed each connection.
 */
export async function measureReceiver(records: number, extra: { recv: string; torture: string }, runs = 3): Promise<{ rates: number[]; peakRssMiB: number }> {
  const rates: number[] = [];
  let peak = 0;
  for (let k = 0; k < runs; k++) {
    const rssFile = join(tmpdir(), `smbta-bench-recv-${process.pid}-${k}`);
    const recv = spawn('bash', ['-c', `exec ${smbta('smbta-recv', `-i 0 ${extra.recv}`)} > /dev/null`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SMBTA_RSS_OUT: rssFile },
    });
    let err = '';
    const port = await new Promise<number>((resolve, reject) => {
      recv.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      recv.on('exit', () => reject(new Error(`smbta-recv exited: ${err}`)));
    });
    const t = spawnSync('bash', ['-c', `${smbta('smbta-torture', `-d 127.0.0.1:${port} -c 16 -n ${records} ${extra.torture}`)} > /dev/null`], {
      encoding: 'utf8',
    });
    const m = /sent (\d+) records \((\d+)\/s\)/.exec(t.stderr);
    if (!m) throw new Error(`smbta-torture failed: ${t.stderr}`);
    rates.push(Number(m[2]));
    const exited = new Promise((r) => recv.on('exit', r));
    recv.kill('SIGTERM');
    await exited;
    peak = Math.max(peak, takePeakRss(rssFile));
  }
  return { rates, peakRssMiB: peak };
}

/** Seconds from starting `command` until it has written `lines` lines (the median, fastest and slowest of `runs`); it is then stopped. */
export async function measureFirstLines(command: string, lines: number, runs = 3): Promise<Pick<Measurement, 'seconds' | 'min' | 'max'>> {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const start = process.hrtime.bigint();
    const child = spawn('bash', ['-c', `exec ${command}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.on('close', r));
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        for (let at = d.indexOf(10); at >= 0 && seen < lines; at = d.indexOf(10, at + 1)) seen++;
        if (seen >= lines) resolve();
      });
      child.on('close', (code) => reject(new Error(`${command}: ended (${code}) after ${seen} of ${lines} lines`)));
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    child.kill('SIGTERM');
    await exited;
  }
  return spread(times);
}

/** The fan-out benchmark's reader: checks and counts blocks (see block-reader.ts). */
export function blockReader(port: number, records: number): string {
  return `node ${fileURLToPath(new URL('./block-reader.js', import.meta.url))} ${port} ${records}`;
}

/**
 * A server and its readers: starts `server` (which must print "serving on ADDR:PORT"), then
 * runs `reader(port)` commands, which print {first, last}: when their stream's first byte and
 * last record came. `streamSeconds` runs from the earliest first byte to the latest last
 * record; `seconds` from the server's start until every reader is done.
 */
export async function measureFanOut(server: string, readers: number, reader: (port: number) => string): Promise<Measurement & { streamSeconds: number }> {
  const rssFile = join(tmpdir(), `smbta-bench-fan-${process.pid}`);
  const env = { ...process.env, SMBTA_RSS_OUT: rssFile };
  const start = process.hrtime.bigint();
  const srv = spawn('bash', ['-c', `exec ${server}`], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    srv.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving on [^:]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    srv.on('exit', () => reject(new Error(`server exited: ${err}`)));
  });
  const windows = await Promise.all(
    Array.from(
      { length: readers },
      () =>
        new Promise<{ first: number; last: number }>((resolve, reject) => {
          let out = '';
          const child = spawn('bash', ['-c', reader(port)], { stdio: ['ignore', 'pipe', 'inherit'], env });
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.on('close', (code) =>
            code === 0 ? resolve(JSON.parse(out) as { first: number; last: number }) : reject(new Error(`reader failed (${code}): ${reader(port)}`)),
          );
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await new Promise((r) => (srv.exitCode === null ? srv.on('exit', r) : r(null)));
  const streamSeconds = (Math.max(...windows.map((w) => w.last)) - Math.min(...windows.map((w) => w.first))) / 1000;
  return { ...spread([seconds]), streamSeconds, peakRssMiB: takePeakRss(rssFile) };
}

/**
 * smbta-torture (16 connections) -> smbta-recv -> a transport -> smbta-rotate -N: records/s
 * from torture's start until rotate has filed the last record. `out` is recv's output
 * (-P PORT or -w nats://...), `from(port)` rotate's input.
 */
export async function measureTransport(records: number, out: string, from: (port: number) => string, archive: string): Promise<Measurement> {
  const rssFile = join(tmpdir(), `smbta-bench-transport-${process.pid}`);
  const env = { ...process.env, SMBTA_RSS_OUT: rssFile };
  const recv = spawn('bash', ['-c', `exec ${smbta('smbta-recv', `-i 0 ${out}`)}`], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  const ports = await new Promise<number[]>((resolve, reject) => {
    recv.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const listen = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      const serve = /serving readers on [^:]+:(\d+)/.exec(err);
      if (listen && (serve || !out.includes('-P'))) resolve([Number(listen[1]), Number(serve?.[1] ?? 0)]);
    });
    recv.on('exit', () => reject(new Error(`smbta-recv exited: ${err}`)));
  });
  const start = process.hrtime.bigint();
  const rotate = spawn('bash', ['-c', `exec ${smbta('smbta-rotate', `${from(ports[1]!)} -N ${records} -M count ${records} -w ${archive}/%Y.smbta`)}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const filed = new Promise<number | null>((r) => rotate.on('exit', r));
  const t = spawnSync('bash', ['-c', `${smbta('smbta-torture', `-d 127.0.0.1:${ports[0]} -c 16 -n ${records}`)} > /dev/null`], { encoding: 'utf8', env });
  if (t.status !== 0) throw new Error(`smbta-torture failed: ${t.stderr}`);
  const code = await filed;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const exited = new Promise((r) => recv.on('exit', r));
  recv.kill('SIGTERM');
  await exited;
  if (code !== 0) throw new Error(`smbta-rotate exited ${code}`);
  return { ...spread([seconds]), peakRssMiB: takePeakRss(rssFile) };
}
