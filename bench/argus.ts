/**
 * Argus's own clients as the peer: an Argus file with as many flow records as the bench has
 * smbta records, made by `argus -r` from a synthetic capture of one UDP packet per flow.
 * Sources spread evenly over 10.0.0.0/16, so `src net 10.0.0.0/19` keeps one record in 8,
 * the share of the smbta stream whose user is bob.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { SmbRecord } from '../src/record/fields.js';

const PORTS_PER_HOST = 64;

/** A pcap file (microsecond, Ethernet) of `flows` UDP packets, each a flow of its own. */
export function writeFlowCapture(path: string, flows: number): void {
  const fd = openSync(path, 'w');
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20); // Ethernet
  writeSync(fd, head);
  const frame = 14 + 20 + 8 + 4;
  const chunk = Buffer.alloc(16384 * (16 + frame));
  let at = 0;
  const t0 = 1_795_000_000;
  for (let k = 0; k < flows; k++) {
    // Hosts in 10.0.0.0/16 visited in bit-reversed order: every /19 holds an eighth of any prefix of them.
    const host = reverse16(k % 65536);
    const port = 1024 + (Math.floor(k / 65536) % PORTS_PER_HOST) + 64 * Math.floor(k / (65536 * PORTS_PER_HOST));
    const p = chunk.subarray(at, at + 16 + frame);
    p.writeUInt32LE(t0 + Math.floor(k / 100_000), 0);
    p.writeUInt32LE((k % 100_000) * 10, 4);
    p.writeUInt32LE(frame, 8);
    p.writeUInt32LE(frame, 12);
    const e = p.subarray(16);
    e.fill(0, 0, 12);
    e.writeUInt16BE(0x0800, 12);
    const ip = e.subarray(14);
    ip.writeUInt8(0x45, 0);
    ip.writeUInt16BE(32, 2);
    ip.writeUInt8(64, 8);
    ip.writeUInt8(17, 9);
    ip.writeUInt16BE(0, 10);
    ip.writeUInt32BE(((10 << 24) | host) >>> 0, 12);
    ip.writeUInt32BE(((10 << 24) | (1 << 16) | 1) >>> 0, 16);
    ip.writeUInt16BE(checksum(ip.subarray(0, 20)), 10);
    ip.writeUInt16BE(port, 20);
    ip.writeUInt16BE(445, 22);
    ip.writeUInt16BE(12, 24);
    ip.writeUInt16BE(0, 26);
    ip.writeUInt32BE(k, 28);
    at += 16 + frame;
    if (at === chunk.length) {
      writeSync(fd, chunk);
      at = 0;
    }
  }
  writeSync(fd, chunk.subarray(0, at));
  closeSync(fd);
}

/** Makes `argusFile` from `pcap`; its record count, or why it could not. */
export function makeArgusFile(pcap: string, argusFile: string): { records: number } | { error: string } {
  const made = spawnSync('argus', ['-X', '-r', pcap, '-w', argusFile], { encoding: 'utf8' });
  if (made.status !== 0) return { error: `argus -r: ${made.stderr.trim() || made.error?.message}` };
  const counted = spawnSync('bash', ['-c', `ra -n -r ${argusFile} -s stime | wc -l`], { encoding: 'utf8' });
  const records = Number(counted.stdout.trim());
  return Number.isFinite(records) && records > 0 ? { records } : { error: `ra could not read ${argusFile}: ${counted.stderr}` };
}

/** The smbta side of the 1-in-8 filter: every eighth record's user is bob. */
export function withBobEveryEighth(r: SmbRecord, k: number): SmbRecord {
  return k % 8 === 0 ? { ...r, user: 'bob' } : r.user === 'bob' ? { ...r, user: 'rob' } : r;
}

function reverse16(v: number): number {
  let r = 0;
  for (let b = 0; b < 16; b++) r |= ((v >> b) & 1) << (15 - b);
  return r;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += b.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
