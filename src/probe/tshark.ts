/**
 * Runs Wireshark's dissector (tshark) on an interface or a capture file with the probe's
 * Lua script, and hands each SMB2 PDU line to a callback. Wireshark already follows
 * sessions to accounts and trees to shares, and reassembles PDUs across TCP segments.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import split2 from 'split2';

/** The dissector script: shipped beside the sources (package.json "files"). */
export const PDU_SCRIPT = fileURLToPath(new URL('../../../src/probe/smb2-pdus.lua', import.meta.url));

export interface CaptureSource {
  /** Live capture on this interface... */
  iface?: string;
  /** ...or packets from this pcap/pcapng file. */
  file?: string;
  /** Capture filter (BPF), live only. */
  filter: string;
  /** TCP ports to decode as SMB besides 445. */
  ports: readonly number[];
  /** Live: let tshark forget its dissection state every this many packets, so memory stays bounded. */
  resetEvery: number;
  /** Live: the kernel capture buffer, MiB (tshark -B). */
  bufferMiB: number;
}

/**
 * tshark's arguments. It always reads a file: the capture file, or (live) dumpcap's packets
 * through `fifo`. Left to capture itself, tshark has dumpcap write a temporary file that grows
 * for as long as the capture runs; through a FIFO nothing reaches the disk. (Not stdin:
 * Node's child pipes are sockets, which tshark refuses to read.)
 */
export function tsharkArgs(src: CaptureSource, fifo = ''): string[] {
  // -Y: a live capture under -q is not dissected at all unless a display filter asks for it.
  // Out-of-order reassembly: under load the kernel may hand over a flow's segments out of order
  // (senders on several CPUs); without it every later PDU of that connection is lost.
  const args = ['-n', '-q', '-l', '-o', 'tcp.reassemble_out_of_order:TRUE', '-Y', 'smb2', '-X', `lua_script:${PDU_SCRIPT}`];
  if (src.iface !== undefined) args.push('-X', 'lua_script1:flush', '-r', fifo, '-M', String(src.resetEvery));
  else args.push('-r', src.file!);
  // Direct-hosted SMB with its 24-bit length on any port (smb2-pdus.lua): NBSS would read 17 bits off 445.
  for (const p of src.ports) if (p !== 445) args.push('-d', `tcp.port==${p},smbta_direct`);
  return args;
}

/** dumpcap's arguments for a live capture written to `fifo`. */
export function dumpcapArgs(src: CaptureSource, fifo: string): string[] {
  return ['-q', '-i', src.iface!, '-f', src.filter, '-B', String(src.bufferMiB), '-w', fifo];
}

/** A FIFO in a directory of its own (Node has no mkfifo); removed by `remove`. */
function makeFifo(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'smbta-probe-'));
  const path = join(dir, 'packets');
  const made = spawnSync('mkfifo', ['-m', '600', path]);
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr?.toString().trim() || made.error?.message}`);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TsharkRun {
  /** Resolves when tshark has ended and every line is handed over: its exit code, and why it could not start. */
  done: Promise<{ code: number; startError?: string }>;
  stop(): void;
  /** Stop and go on taking lines (tshark then waits, and a live capture's kernel buffer fills). */
  pause(): void;
  resume(): void;
}

/** Lines tshark and dumpcap print on stderr that say nothing to an administrator. */
const NOISE = /^(Running as user "root"|\d+ packets? captured|Packets captured: \d+|File: .*|tshark:$|\*\* .*\[Main MESSAGE\]|$)/;
/** What the capture lost: tshark (reading itself) or dumpcap says so as it ends. */
const DROPPED = /^(?:(\d+) packets? dropped|Packets received\/dropped on interface .*: \d+\/(\d+))/;

export function runTshark(
  src: CaptureSource,
  onLine: (line: string) => void,
  onMessage: (m: string) => void,
  onDropped: (packets: number) => void,
  bin = 'tshark',
  capture = 'dumpcap',
): TsharkRun {
  const fifo = src.iface !== undefined ? makeFifo() : undefined;
  const child = spawn(bin, tsharkArgs(src, fifo?.path), { stdio: ['ignore', 'pipe', 'pipe'] });
  const dumpcap = fifo ? spawn(capture, dumpcapArgs(src, fifo.path), { stdio: ['ignore', 'ignore', 'pipe'] }) : undefined;
  // tshark waits to open the FIFO until dumpcap does: if dumpcap cannot start, open it once to let tshark end.
  dumpcap?.on(
    'error',
    () =>
      void open(fifo!.path, 'w').then(
        (h) => h.close(),
        () => undefined,
      ),
  );
  let startError: string | undefined;
  const lines = child.stdout.pipe(split2({ maxLength: 1 << 20, skipOverflow: true } as never));
  lines.on('data', onLine);
  const said = (l: string): void => {
    const dropped = DROPPED.exec(l.trim());
    if (dropped) {
      const n = Number(dropped[1] ?? dropped[2]);
      if (n > 0) onDropped(n);
    } else if (!NOISE.test(l.trim())) onMessage(l.trim().replace(/^(tshark|dumpcap):\s*/, ''));
  };
  child.stderr.pipe(split2()).on('data', said);
  dumpcap?.stderr!.pipe(split2()).on('data', said);
  const linesDone = new Promise<void>((resolve) => lines.on('end', resolve).on('error', () => resolve()));
  const ended = (proc: ChildProcess, name: string): Promise<number> =>
    new Promise<number>((resolve) => {
      proc.on('error', (err: NodeJS.ErrnoException) => {
        startError ??=
          err.code === 'ENOENT' ? `${name} not found: smbta-probe needs Wireshark's tshark and dumpcap (apt-get install tshark)` : `${name}: ${err.message}`;
        resolve(127);
      });
      proc.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1)));
    });
  const exited = Promise.all([ended(child, bin), dumpcap ? ended(dumpcap, capture) : 0]).then(([t, d]) => d || t);
  // Live, stopping the capture ends tshark's input: it reads what is left, then ends.
  const stop = (): void => void (dumpcap ?? child).kill('SIGTERM');
  return {
    done: Promise.all([exited, linesDone]).then(([code]) => (fifo?.remove(), { code, startError })),
    stop,
    pause: () => lines.pause(),
    resume: () => lines.resume(),
  };
}
