/**
 * Moves a pcapng capture to another TCP port: every IPv4 or IPv6 TCP packet from or to
 * `from` is rewritten to `to` (checksums are left as they were; Wireshark does not check
 * them by default). So the fixture captured on a test port reads as SMB on 445.
 */
export function moveTcpPort(capture: Buffer, from: number, to: number): Buffer {
  const out = Buffer.from(capture);
  let linkType = 1;
  for (let at = 0; at + 12 <= out.length;) {
    const type = out.readUInt32LE(at);
    const length = out.readUInt32LE(at + 4);
    if (length < 12 || at + length > out.length) break;
    if (type === 1) linkType = out.readUInt16LE(at + 8);
    if (type === 6) {
      const captured = out.readUInt32LE(at + 20);
      rewritePacket(out.subarray(at + 28, at + 28 + captured), linkType, from, to);
    }
    at += length;
  }
  return out;
}

function rewritePacket(p: Buffer, linkType: number, from: number, to: number): void {
  // Ethernet (as Linux's loopback is captured), or raw IP.
  const ip = linkType === 1 ? 14 : 0;
  if (linkType === 1 && p.length >= 14) {
    const ethertype = p.readUInt16BE(12);
    if (ethertype !== 0x0800 && ethertype !== 0x86dd) return;
  }
  if (p.length < ip + 20) return;
  const version = p[ip]! >> 4;
  let tcp: number;
  if (version === 4) {
    if (p[ip + 9] !== 6) return;
    tcp = ip + (p[ip]! & 0x0f) * 4;
  } else if (version === 6) {
    if (p[ip + 6] !== 6) return;
    tcp = ip + 40;
  } else return;
  if (p.length < tcp + 4) return;
  for (const off of [tcp, tcp + 2]) if (p.readUInt16BE(off) === from) p.writeUInt16BE(to, off);
}
