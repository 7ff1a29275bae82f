/**
 * Runs Wireshark's dissector (tshark) on an interface or a capture file with the probe's
 * Lua script, and hands each SMB2 PDU line to a callback. Wireshark already follows
 * sessions to accounts and trees to shares, and reassembles PDUs across TCP segments.
 */
import { spawn } from 'node:child_process';
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

export function tsharkArgs(src: CaptureSource): string[] {
  // -Y: a live capture under -q is not dissected at all unless a display filter asks for it.
  const args = ['-n', '-q', '-l', '-Y', 'smb2', '-X', `lua_script:${PDU_SCRIPT}`];
  if (src.iface !== undefined)
    args.push('-X', 'lua_script1:flush', '-i', src.iface, '-f', src.filter, '-B', String(src.bufferMiB), '-M', String(src.resetEvery));
  else args.push('-r', src.file!);
  // Direct-hosted SMB with its 24-bit length on any port (smb2-pdus.lua): NBSS would read 17 bits off 445.
  for (const p of src.ports) if (p !== 445) args.push('-d', `tcp.port==${p},smbta_direct`);
  return args;
}

export interface TsharkRun {
  /** Resolves when tshark has ended and every line is handed over: its exit code, and why it could not start. */
  done: Promise<{ code: number; startError?: string }>;
  stop(): void;
  /** Stop and go on taking lines (tshark then waits, and a live capture's kernel buffer fills). */
  pause(): void;
  resume(): void;
}

/** Lines tshark prints on stderr that say nothing to an administrator. */
const NOISE = /^(Running as user "root"|\d+ packets? captured|tshark:$|\*\* .*\[Main MESSAGE\]|$)/;
/** What the capture lost: tshark says so as it ends (the kernel's buffer overflowed). */
const DROPPED = /^(\d+) packets? dropped/;

export function runTshark(
  src: CaptureSource,
  onLine: (line: string) => void,
  onMessage: (m: string) => void,
  onDropped: (packets: number) => void,
  bin = 'tshark',
): TsharkRun {
  const child = spawn(bin, tsharkArgs(src), { stdio: ['ignore', 'pipe', 'pipe'] });
  let startError: string | undefined;
  const lines = child.stdout.pipe(split2({ maxLength: 1 << 20, skipOverflow: true } as never));
  lines.on('data', onLine);
  child.stderr.pipe(split2()).on('data', (l: string) => {
    const dropped = DROPPED.exec(l.trim());
    if (dropped) onDropped(Number(dropped[1]));
    else if (!NOISE.test(l.trim())) onMessage(l.trim().replace(/^tshark:\s*/, ''));
  });
  const linesDone = new Promise<void>((resolve) => lines.on('end', resolve).on('error', () => resolve()));
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      startError = err.code === 'ENOENT' ? `${bin} not found: smbta-probe needs Wireshark's tshark (apt-get install tshark)` : `${bin}: ${err.message}`;
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1)));
  });
  return {
    done: Promise.all([exited, linesDone]).then(([code]) => ({ code, startError })),
    stop: () => child.kill('SIGTERM'),
    pause: () => lines.pause(),
    resume: () => lines.resume(),
  };
}
