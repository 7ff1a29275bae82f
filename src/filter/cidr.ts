/** IPv4 and IPv6 addresses and CIDR prefixes, as 128-bit numbers (IPv4 mapped into ::ffff:0:0/96). */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  base: bigint;
  mask: bigint;
}

const ALL = (1n << 128n) - 1n;

/** The address as a 128-bit number, or undefined when `text` is not an address. */
export function parseIp(text: string): bigint | undefined {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text.replace(/%.*$/, '');
  if (isIPv4(t)) return 0xffff00000000n | v4(t);
  if (!isIPv6(t)) return undefined;
  let head = t;
  let tail4 = -1n;
  const lastColon = t.lastIndexOf(':');
  if (t.includes('.')) {
    tail4 = v4(t.slice(lastColon + 1));
    head = t.slice(0, lastColon + 1) + '0:0';
  }
  const [l, r] = head.split('::') as [string, string | undefined];
  const left = l ? l.split(':') : [];
  const right = r ? r.split(':') : [];
  const groups = r === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  return tail4 >= 0n ? (n & ~0xffffffffn) | tail4 : n;
}

function v4(t: string): bigint {
  return t.split('.').reduce((n, o) => (n << 8n) | BigInt(+o), 0n);
}

/** `10.0.0.0/8` or `fe80::/10` (a bare address is a /32 or /128); a string saying what is wrong otherwise. */
export function parseCidr(text: string): Cidr | string {
  const [addr, bits, extra] = text.split('/');
  if (extra !== undefined) return `'${text}' is not a CIDR prefix`;
  const ip = parseIp(addr!);
  if (ip === undefined) return `'${addr}' is not an IPv4 or IPv6 address`;
  const v4only = isIPv4(addr!);
  const max = v4only ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return `prefix length '/${bits}' is not a number`;
  const len = bits === undefined ? max : Number(bits);
  if (len > max) return `prefix length /${len} is longer than ${max} bits of ${v4only ? 'IPv4' : 'IPv6'}`;
  const total = v4only ? len + 96 : len;
  const mask = total === 0 ? 0n : (ALL << BigInt(128 - total)) & ALL;
  return { base: ip & mask, mask };
}

export function cidrContains(c: Cidr, ip: bigint): boolean {
  return (ip & c.mask) === c.base;
}
