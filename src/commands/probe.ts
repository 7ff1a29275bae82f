import { pick, STREAM_OUT, SERVING } from '../cli/options.js';
import { defineProgram } from '../cli/program.js';
import { UsageError } from '../language/errors.js';
import { runProbe } from '../probe/run-probe.js';
import { parseServerNames } from './common.js';

export const probe = defineProgram({
  name: 'smbta-probe',
  summary: 'watch SMB2/3 traffic on the wire and write who read and wrote what, with how long the server took',
  description:
    "A passive probe: Wireshark's SMB2 dissector (tshark) follows each session to its account, each tree to its share and " +
    'each file id to its name, on a live interface (-i) or from a capture file (-r). Every open, close, read, write, rename, ' +
    'delete, mkdir, server-side copy and share connect becomes a record with the bytes moved and the request-to-response latency; ' +
    "an SMB3-encrypted message becomes an 'encrypted' record of its session's user. What cannot be attributed (sessions that " +
    'began before the capture), packets the capture dropped, and requests or responses it missed are counted in status blocks, ' +
    'on stderr and in --metrics (docs/probe.md). SIGTERM and SIGINT stop the capture and write out everything seen.',
  options: {
    interface: {
      kind: 'text',
      alias: 'i',
      value: 'IFACE',
      group: 'Input',
      describe: 'capture SMB2/3 traffic live on this network interface (needs capture rights: root or the wireshark group)',
    },
    read: { kind: 'path', alias: 'r', value: 'PCAP', group: 'Input', describe: 'read packets from a pcap or pcapng capture file instead' },
    filter: { kind: 'text', alias: 'f', value: 'BPF', group: 'Input', describe: "capture filter for -i (default 'tcp port 445', or the --smb-port ports)" },
    ...pick('smb-port'),
    'capture-buffer': {
      kind: 'size',
      min: 1048576,
      value: 'SIZE',
      default: '128M',
      group: 'Limits',
      describe: "live: the kernel's capture buffer (tshark -B); tshark's 2 MiB default overflows on bursts, and what it drops is counted",
    },
    'reset-every': {
      kind: 'count',
      min: 1000,
      value: 'PACKETS',
      default: '1000000',
      group: 'Limits',
      describe: 'live: tshark forgets its dissection state every this many packets (its memory bound); sessions and trees stay attributed',
    },
    ...STREAM_OUT,
    ...SERVING,
    ...pick('server-name', 'stats', 'status-every', 'metrics', 'metrics-users', 'config'),
  },
  examples: [
    ['smbta-probe -i eth0 | smbta-cat', "watch the file server's own interface and print every operation"],
    ['smbta-probe -i eth0 -P 3491 -B 0.0.0.0 --tls-cert p.pem --tls-key p.key --server-name 10.0.0.5=fs1', 'serve readers over TLS, naming the server'],
    ['smbta-probe -r monday.pcapng | smbta-query top users', 'who moved the most in a capture'],
    ['smbta-probe -r lab.pcap --smb-port 44500 | smbta-csv -s time,op,user,path,bytes,latency', 'SMB on a test port'],
  ],
  exitStatus:
    '0 when the capture ended or was stopped; 1 when tshark is missing, cannot capture, or the capture file is damaged (what was read is still written); 2 for a bad option.',
  async run(a, ctx) {
    if ((a.interface === undefined) === (a.read === undefined)) throw new UsageError('give either -i IFACE (a live capture) or -r FILE (a capture file)');
    const ports = a['smb-port'];
    const names = parseServerNames(a['server-name']);
    await runProbe(
      {
        capture: {
          iface: a.interface,
          file: a.read,
          filter: a.filter ?? ports.map((p) => `tcp port ${p}`).join(' or '),
          ports,
          resetEvery: a['reset-every'],
          bufferMiB: Math.ceil(a['capture-buffer'] / 1048576),
        },
        output: a,
        serving: a,
        serverName: (addr) => names.get(addr) ?? addr,
        statsMs: a.stats,
        statusEveryMs: a['status-every'],
      },
      ctx,
    );
  },
});
