/**
 * Every example runs as written: each program's --help examples (which its docs/programs
 * page repeats), every command of docs/tour.md, and every smbta command of docs/deploy.md,
 * in a sandbox of its own (test/helpers/sandbox.ts) with the documented ports, host names
 * and paths, against data made here and servers started here (a real smbd, PostgreSQL and
 * tshark where an example names one). Each is checked for its exit status and for doing
 * what its text says; a documented command without a scenario here fails the test.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PROGRAMS } from '../../src/commands/index.js';
import { makeExampleHome } from '../helpers/example-home.js';
import { ROOT } from '../helpers/run-bin.js';
import { runInSandbox, sandboxMissing } from '../helpers/sandbox.js';
import { postgresBin } from '../helpers/postgres.js';
import { toolMissing } from '../helpers/tools.js';

const skip =
  sandboxMissing() ||
  toolMissing('jq') ||
  toolMissing('sqlite3') ||
  toolMissing('bzip2', 'bzip2', ['--help']) ||
  toolMissing('openssl', 'openssl', ['version']);
const base = skip ? '' : mkdtempSync(join(tmpdir(), 'smbta-examples-'));
// SMBTA_KEEP=1 keeps the sandboxes' files, to look at what a failing example did.
after(() => base && !process.env.SMBTA_KEEP && rmSync(base, { recursive: true, force: true }));
const template = join(base, 'template');
if (!skip) makeExampleHome(template);

/** A scenario: bash that runs the command (given verbatim) and checks what it did. */
type Scenario = (cmd: string) => string;

/**
 * Runs `cmd` in the background as job J; the stdout and stderr of every process it starts
 * (a pipeline's first programs too) go to out.txt and err.txt.
 */
const bg = (cmd: string): string => `exec 5>&1 6>&2 > out.txt 2> err.txt\n${cmd} &\nJ=$(last_job)\nexec >&5 2>&6 5>&- 6>&-`;

/** A live reader: started before the records, stopped (as Ctrl-C would) once they are in. */
const liveReader =
  (port: number, n: number, checks: string): Scenario =>
  (cmd) => `
recv_serving ${port}
${bg(cmd)}
readers_on recv.err 1
feed ${n}
settled out.txt
stop $J INT
${checks}`;

const PROGRAM_SCENARIOS: Record<string, Scenario> = {
  // smbta-recv
  'smbta-recv | smbta-cat': (cmd) => `
${bg(cmd)}
wait_for err.txt 'listening on 127.0.0.1:3490'
feed 500
settled out.txt
stop $J
[ "$(lines out.txt)" -eq 501 ] || fail "500 records and a header: $(lines out.txt) lines"`,
  'smbta-recv -B 0.0.0.0 -P 127.0.0.1:3491 --stats 60': (cmd) => `
${bg(cmd)}
RECV=$J
wait_for err.txt 'listening on 0.0.0.0:3490; serving readers on 127.0.0.1:3491'
smbta-json -S 127.0.0.1:3491 -N 300 > got.json 2> reader.err &
R=$(last_job)
readers_on err.txt 1
feed 300
wait %$R || fail "reader: $(cat reader.err)"
[ "$(lines got.json)" -eq 300 ] || fail "the reader got $(lines got.json) of 300"
stop $J`,
  'smbta-recv -u -k /etc/smbta/key -w /var/log/smbta/now.smbta': (cmd) => `
mkdir -p /etc/smbta /var/log/smbta && cp key /etc/smbta/key
${bg(cmd)}
RECV=$J
wait_for err.txt 'listening on unix:/var/tmp/stadsocket'
smbta-torture -d unix:/var/tmp/stadsocket -k key -n 400 > sent.json || fail torture
received 400 $J err.txt
stop $J
[ "$(records /var/log/smbta/now.smbta)" -eq 400 ] || fail "400 encrypted records in the file"`,
  "smbta-recv --anonymize user,sid --anon-key /etc/smbta/anon.key | smbta-rotate -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'": (cmd) => `
mkdir -p /etc/smbta && cp anon.key /etc/smbta/anon.key
rm -rf archive
${bg(cmd)}
wait_for err.txt 'listening on'
feed 500
sleep 0.5
stop $J
n=$(smbta-json -R archive | wc -l)
[ "$n" -eq 500 ] || fail "500 records archived, found $n"
smbta-json -R archive | jq -r .user | grep -Eq '^(bob|eve|user[0-9]+)$' && fail 'a real user name was stored'
[ "$(smbta-json -R archive | jq -r .sid | sort -u | grep -c '^S-1-5')" -eq 0 ] || fail 'a real SID was stored'`,
  'smbta-recv -P 3491 --state /var/lib/smbta/recv.state': (cmd) => `
mkdir -p /var/lib/smbta
${bg(cmd)}
RECV=$J
wait_for err.txt 'serving readers on 127.0.0.1:3491'
feed 200
received 200 $J err.txt
stop $J
grep -q '"clean":true' /var/lib/smbta/recv.state || fail "a clean state: $(cat /var/lib/smbta/recv.state)"
${bg(cmd)}
wait_for err.txt 'serving readers on'
grep -q 'stopped without shutting down' err.txt && fail 'a clean stop was taken for a crash'
stop $J`,
  // smbta-probe
  'smbta-probe -i eth0 | smbta-cat': (cmd) => `
samba_behind_eth0 projects
${bg(cmd)}
wait_for err.txt 'Capturing on'
head -c 300000 /dev/urandom > big.bin
client projects 'put big.bin big.bin'
wait_for out.txt ' write +293\\.0 ?Ki?B? +big\\.bin'
stop $J`,
  'smbta-probe -i eth0 -P 3491 -B 0.0.0.0 --tls-cert p.pem --tls-key p.key --server-name 10.0.0.5=fs1': (cmd) => `
samba_behind_eth0 projects
${bg(cmd)}
wait_for err.txt 'serving readers on 0.0.0.0:3491'
wait_for err.txt 'Capturing on'
smbta-json -S tls://localhost:3491 --tls-ca ca.pem 'write' > got.json 2> reader.err &
R=$(last_job)
readers_on err.txt 1
head -c 100000 /dev/urandom > f.bin
client projects 'put f.bin f.bin'
wait_for got.json '"server":"fs1"'
jq -e 'select(.path == "f.bin") | .bytes' got.json | awk '{s += $1} END {exit s != 100000}' || fail "100000 bytes written to f.bin on fs1: $(cat got.json)"
stop $R INT
stop $J`,
  'smbta-probe -r monday.pcapng | smbta-query top users': (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
grep -Eq '^smbtatest +WORKGROUP +78\\.1 KiB$' out.txt || fail "the capture's one user: $(cat out.txt)"`,
  'smbta-probe -r lab.pcap --smb-port 44500 | smbta-csv -s time,op,user,path,bytes,latency': (cmd) => `
${cmd} > out.csv 2> err.txt || fail "$(cat err.txt)"
head -1 out.csv | grep -q '^time,op,user,path,bytes,latency' || fail "the chosen columns: $(head -1 out.csv)"
grep -q ',write,smbtatest,d1/f1.bin,20000,' out.csv || fail "the 20000-byte write: $(cat out.csv)"`,
  // smbta-torture
  'smbta-torture -c 16 -n 1000000': (cmd) => `
smbta-recv -w got.smbta 2> recv.err &
RECV=$(last_job)
wait_for recv.err 'listening on'
${cmd} > ledger.json 2> err.txt || fail "$(cat err.txt)"
grep -q 'sent 1000000 records .* over 16 connections' err.txt || fail "$(cat err.txt)"
received 1000000
stop $RECV
[ "$(jq .records ledger.json)" -eq 1000000 ] || fail 'the ledger counts a million'`,
  'smbta-torture -d unix:/var/tmp/stadsocket --rate 500 --duration 10m': (cmd) => `
smbta-recv -u 2> recv.err &
RECV=$(last_job)
wait_for recv.err 'listening on unix:/var/tmp/stadsocket'
${bg(cmd)}
received 1
sleep 3
stop $J INT
n=$(grep -Eo 'sent [0-9]+ records' err.txt | grep -Eo '[0-9]+')
[ "$n" -ge 1000 ] && [ "$n" -le 2200 ] || fail "about 500 a second for 3 s: $n"
received "$n"
stop $RECV`,
  'smbta-torture -c 4 -n 10000 -k key --record load.rec': (cmd) => `
smbta-recv -k key 2> recv.err &
RECV=$(last_job)
wait_for recv.err 'listening on'
${cmd} > ledger.json 2> err.txt || fail "$(cat err.txt)"
received 10000
[ -s load.rec ] || fail 'a recording'
stop $RECV
grep -q 'rejected: none' recv.err || fail "every record decrypted: $(tail -1 recv.err)"`,
  'smbta-torture --replay load.rec --speed 2 -k key': (cmd) => `
smbta-recv -k key 2> recv.err &
RECV=$(last_job)
wait_for recv.err 'listening on'
smbta-torture -c 4 -n 10000 -k key --record load.rec > first.json 2>/dev/null
received 10000
${cmd} > again.json 2> err.txt || fail "$(cat err.txt)"
received 20000
stop $RECV
[ "$(jq -c .users again.json)" = "$(jq -c .users first.json)" ] || fail 'the same records again'`,
  'smbta-torture --rate 2000 --duration 10m --reconnect --ledger sent.json': (cmd) => `
smbta-recv 2> recv.err &
RECV=$(last_job)
wait_for recv.err 'listening on'
${bg(cmd)}
received 2000
stop $RECV
smbta-recv 2> recv2.err &
RECV=$(last_job)
wait_for recv2.err 'listening on'
received 2000 $RECV recv2.err
stop $J INT
stop $RECV
[ "$(jq '.connections | length' sent.json)" -ge 2 ] || fail "a connection before the restart and one after: $(jq -c .connections sent.json)"`,
  'smbta-torture --smb //fs1/projects --smb //fs1/scratch -U bob%secret -n 10 --pause 500ms': (cmd) => `
samba projects scratch
${cmd} > ledger.json 2> err.txt || fail "$(cat err.txt)"
grep -Eq 'moved 36 files \\([0-9]+ bytes\\) through 2 shares' err.txt || fail "$(cat err.txt)"
[ "$(find /srv/projects /srv/scratch -type f | wc -l)" -ge 16 ] || fail "the file set is on both shares: $(find /srv)"`,
  // smbta-mux
  'smbta-mux -S srv1:3491 srv2:3491 -P 3499': (cmd) => `
smbta-recv -B 127.0.0.2 -P 3491 2> r1.err & A=$(last_job)
smbta-recv -B 127.0.0.3 -P 3491 2> r2.err & B=$(last_job)
wait_for r1.err 'serving readers on 127.0.0.2:3491'
wait_for r2.err 'serving readers on 127.0.0.3:3491'
${bg(cmd)}
readers_on r1.err 1
readers_on r2.err 1
smbta-json -S localhost:3499 -N 600 > got.json &
R=$(last_job)
readers_on err.txt 1
feed 300 1 127.0.0.2:3490
feed 300 2 127.0.0.3:3490
wait %$R || fail 'the reader'
[ "$(lines got.json)" -eq 600 ] || fail 'the records of both receivers'
stop $J; stop $A; stop $B`,
  "smbta-mux -S localhost:3491 -P 3492 'share=projects'": (cmd) => `
recv_serving 3491
${bg(cmd)}
readers_on recv.err 1
smbta-json -S localhost:3492 > some.json & S=$(last_job)
smbta-json -S localhost:3491 > all.json & A=$(last_job)
readers_on err.txt 1
readers_on recv.err 2
feed 2000
settled all.json; settled some.json
stop $S INT; stop $A INT; stop $J
[ "$(lines some.json)" -gt 0 ] && [ "$(lines some.json)" -lt "$(lines all.json)" ] || fail "fewer records for one share: $(lines some.json) of $(lines all.json)"
jq -r .share some.json | grep -vqx projects && fail 'only share=projects is served'
true`,
  'smbta-mux -S tls://hub1:3499 -S tls://hub2:3499 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key -P 3500 -B 0.0.0.0': (cmd) => `
smbta-recv -B 127.0.0.2 -P 3499 --tls-cert hub.pem --tls-key hub.key --tls-client-ca ca.pem 2> r1.err & A=$(last_job)
smbta-recv -B 127.0.0.3 -P 3499 --tls-cert hub.pem --tls-key hub.key --tls-client-ca ca.pem 2> r2.err & B=$(last_job)
wait_for r1.err 'serving readers on 127.0.0.2:3499'
wait_for r2.err 'serving readers on 127.0.0.3:3499'
${bg(cmd)}
wait_for err.txt 'serving on 0.0.0.0:3500'
readers_on r1.err 1
readers_on r2.err 1
smbta-json -S tls://localhost:3500 --tls-ca ca.pem --tls-cert fs.pem --tls-key fs.key -N 400 > got.json 2> reader.err &
R=$(last_job)
readers_on err.txt 1
feed 200 1 127.0.0.2:3490
feed 200 2 127.0.0.3:3490
wait %$R || fail "reader: $(cat reader.err)"
stop $J; stop $A; stop $B`,
  'smbta-mux -R archive/2026-11-23 -P 3499 --wait-readers 2': (cmd) => `
${bg(cmd)}
wait_for err.txt 'serving on 127.0.0.1:3499'
smbta-json -S localhost:3499 -N 20000 > r1.json & R1=$(last_job)
smbta-json -S localhost:3499 -N 20000 > r2.json & R2=$(last_job)
wait %$R1 && wait %$R2 || fail 'both readers'
wait %$J || fail "mux: $(cat err.txt)"
[ "$(lines r1.json)" -eq 20000 ] && [ "$(lines r2.json)" -eq 20000 ] || fail 'the whole day to each reader'`,
  'smbta-mux -S localhost:3491 -P 3499 --state /var/lib/smbta/mux.state': (cmd) => `
mkdir -p /var/lib/smbta
recv_serving 3491
${bg(cmd)}
readers_on recv.err 1
smbta-json -S localhost:3499 -N 300 > got.json & R=$(last_job)
readers_on err.txt 1
feed 300
wait %$R || fail reader
stop $J
grep -q '"clean":true' /var/lib/smbta/mux.state || fail 'a clean state'`,
  // smbta-rotate
  "smbta-rotate -S localhost:3499 -M time 10m -w 'archive/%Y-%m-%d/smbta.%H%M.smbta'": (cmd) => `
recv_serving 3499
${bg(cmd)}
readers_on recv.err 1
feed 3000
sleep 0.5
stop $J
[ "$(smbta-json -R "archive/$(date +%F)" | wc -l)" -eq 3000 ] || fail "today's records in today's directory"
ls "archive/$(date +%F)" | grep -Eq '^smbta\\.[0-9]{2}[0-5]0\\.smbta$' || fail "ten-minute names: $(ls archive/*)"`,
  "smbta-recv | smbta-rotate -M time 1h -w 'by-share/$share/%Y%m%d-%H.smbta' -z": (cmd) => `
${bg(cmd)}
wait_for err.txt 'listening on'
feed 2000
sleep 0.5
stop $J
[ "$(ls by-share | wc -l)" -ge 3 ] || fail "a directory per share: $(ls by-share)"
ls by-share/*/*.smbta.bz2 > /dev/null || fail 'compressed files'
[ "$(smbta-json -R by-share | wc -l)" -eq 2000 ] || fail 'every record'
for d in by-share/*; do [ "$(smbta-json -R "$d" | jq -r .share | sort -u)" = "$(basename "$d")" ] || fail "$d holds its share only"; done`,
  "smbta-rotate -S hub:3499 -w 'a/%Y/%m/%d/%H%M.smbta' -f 'echo closed >> closed.log' --keep 30d": (cmd) => `
mkdir -p a/2020/01/01 && touch -d '40 days ago' a/2020/01/01/0000.smbta
recv_serving 3499
${bg(cmd)}
readers_on recv.err 1
feed 1000
sleep 0.5
stop $J
[ ! -e a/2020/01/01/0000.smbta ] || fail 'the old file is expired'
[ "$(lines closed.log)" -eq "$(find a -name '*.smbta' | wc -l)" ] || fail "-f ran once per finished file: $(cat closed.log)"
[ "$(smbta-json -R a | wc -l)" -eq 1000 ] || fail 'every record'`,
  "smbta-rotate -S hub:3499 -w 'a/%Y%m%d-%H.smbta' --state rotate.state": (cmd) => `
recv_serving 3499
${bg(cmd)}
readers_on recv.err 1
feed 1000
sleep 0.5
kill -KILL %$J; wait %$J
${bg(cmd)}
wait_for err.txt 'stopped without shutting down'
feed 1000 2
sleep 0.5
stop $J
[ "$(smbta-json -R a | wc -l)" -eq 2000 ] || fail "every record once, across the crash: $(smbta-json -R a | wc -l)"`,
  // smbta-cluster
  'smbta-cluster -R archive/2026-11-23 -w 2026-11-23.smbta.bz2': (cmd) => `
${cmd} 2> err.txt || fail "$(cat err.txt)"
in=$(smbta-json -R archive/2026-11-23 | jq -s 'map(.bytes) | add')
out=$(smbta-json -r 2026-11-23.smbta.bz2 | jq -s 'map(.bytes) | add')
[ "$in" = "$out" ] || fail "the same bytes: $in and $out"
[ "$(records 2026-11-23.smbta.bz2)" -lt 20000 ] || fail 'fewer records'`,
  'smbta-cluster -r day.smbta -m user -M time 1h | smbta-csv -s time,user,bytes,count': (cmd) => `
${cmd} > out.csv 2> err.txt || fail "$(cat err.txt)"
head -1 out.csv | grep -q '^time,user,bytes,count' || fail 'the columns'
[ "$(tail -n +2 out.csv | awk -F, '{s += $4} END {print s}')" -eq 20000 ] || fail 'the counts add up to the records'
[ "$(tail -n +2 out.csv | cut -d, -f1,2 | sort | uniq -d | wc -l)" -eq 0 ] || fail 'one row per user and hour'`,
  'smbta-recv | smbta-cluster -p 10s | smbta-db load': (cmd) => `
${bg(cmd)}
wait_for err.txt 'listening on'
feed 2000
sleep 1
stop $J
n=$(sqlite3 /root/.local/share/smbta/smbta.db 'SELECT sum(count) FROM smbta_records')
[ "$n" -eq 2000 ] || fail "every operation counted once: $n"`,
  // printers
  'smbta-cat -r day.smbta': (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
[ "$(lines out.txt)" -eq 20001 ] || fail 'every record and a header'`,
  "smbta-cat -R archive/2026-11-23 'user=bob and write'": (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
n=$(tail -n +2 out.txt | wc -l)
[ "$n" -gt 0 ] && [ "$n" -lt 20000 ] || fail "some of the day: $n"
tail -n +2 out.txt | grep -Ev ' bob .* p?write ' && fail 'only bob writing'
true`,
  'smbta-cat -S localhost:3491 -s +sid,-server': liveReader(
    3491,
    200,
    `head -1 out.txt | grep -q SID || fail "a SID column: $(head -1 out.txt)"
head -1 out.txt | grep -q SERVER && fail 'no SERVER column'
[ "$(lines out.txt)" -eq 201 ] || fail "200 records: $(lines out.txt)"`,
  ),
  'smbta-cat -r day.smbta.bz2 -t 10:00-11:00 -n': (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
from=$(date -d 10:00 +%s)000; to=$(date -d 11:00 +%s)000
n=$(tail -n +2 out.txt | wc -l)
[ "$n" -gt 100 ] && [ "$n" -lt 2000 ] || fail "an hour of the day: $n"
tail -n +2 out.txt | awk -v a="$from" -v b="$to" '$1 < a || $1 >= b {bad = 1} END {exit bad}' || fail 'times within the hour, as numbers'`,
  'smbta-csv -r day.smbta > day.csv': (cmd) => `
${cmd} || fail csv
[ "$(python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' day.csv)" -eq 20001 ] || fail 'every record and a header (a name with a line break is one quoted field)'`,
  "smbta-filter 'share=projects' < day.smbta | smbta-csv -s time,user,op,bytes,path": (cmd) => `
${cmd} > out.csv 2> err.txt || fail "$(cat err.txt)"
n=$(tail -n +2 out.csv | wc -l)
[ "$n" -gt 0 ] && [ "$n" -lt 20000 ] || fail "one share of the day: $n"`,
  // smbta-alert
  'smbta-alert -S localhost:3491 --builtin all': (cmd) => `
smbta-mux -r attack.smbta -P 3491 --wait-readers 1 2> mux.err &
${bg(cmd)}
wait_for out.txt 'ALERT critical ransom-note'
stop $J INT
grep -q 'ALERT high mass-rename user=mallory: 501 operations in 1m' out.txt || fail "the mass rename: $(cat out.txt)"
grep -q 'ALERT critical ransomware-extension user=mallory' out.txt || fail 'the .locked names'
grep -q 'ALERT critical ransom-note user=mallory: .*q3/HOW_TO_DECRYPT.txt' out.txt || fail 'the note'
[ "$(grep -c ALERT out.txt)" -eq 3 ] || fail "each alert once, nothing in the ordinary traffic: $(cat out.txt)"`,
  'smbta-alert -r attack.smbta --builtin mass-rename,ransom-note --json | jq -r .group.user': (cmd) => `
{ ${cmd}; } > out.txt 2> err.txt || fail alert
[ "$(cat out.txt)" = "$(printf 'mallory\nmallory')" ] || fail "mallory, twice: $(cat out.txt)"
grep -q 'ALERT high mass-rename user=mallory' err.txt || fail 'the line for people on stderr'`,
  "smbta-alert -r attack.smbta --canary '*/~budget-2026.xlsx' 'share=finance'": (cmd) => `
${cmd} > out.txt 2> err.txt || fail alert
grep -q 'ALERT critical canary user=eve client=10.0.0.77: 1 operation in 1h (above 0 operations); finance/~budget-2026.xlsx' out.txt || fail "the bait: $(cat out.txt)"
[ "$(wc -l < out.txt)" -eq 1 ] || fail 'nothing else'`,
  'smbta-alert -r attack.smbta --builtin mass-rename --exec \'smbcontrol smbd kill-client-ip "$SMBTA_ALERT_CLIENT"\' --dry-run': (cmd) => `
${cmd} > out.txt 2> err.txt || fail alert
grep -q 'ALERT high mass-rename user=mallory' out.txt || fail "the alert: $(cat out.txt)"
grep -q -- '--dry-run: would run for mass-rename: smbcontrol smbd kill-client-ip "$SMBTA_ALERT_CLIENT" (.*SMBTA_ALERT_CLIENT=10.0.0.66 ' err.txt || fail "the command, not run: $(cat err.txt)"`,
  // smbta-report: the archive holds today's records; yesterday's are added as a day's files would be.
  'smbta-report -R archive --text': (cmd) => `
cp yesterday.smbta archive/yesterday.smbta
${cmd} > out.txt 2> err.txt || fail report
[ "$(head -1 out.txt)" = "File server activity: $(date -d yesterday '+%A, %-d %B %Y')" ] || fail "yesterday: $(head -1 out.txt)"
grep -Eq '^records +20,000 +0 +▲ new$' out.txt || fail "the day's records, none the day before: $(head -12 out.txt)"
grep -q '^BUSIEST USERS$' out.txt && grep -q '^EXAMPLE.bob ' out.txt || fail 'the users'`,
  'smbta-report -R archive --week last > week.html': (cmd) => `
cp yesterday.smbta archive/yesterday.smbta
${cmd} 2> err.txt || fail report
head -1 week.html | grep -qx '<!DOCTYPE html>' || fail 'HTML'
d=$(date -d '7 days ago' +%F)
monday=$(date -d "$d -$(( $(date -d "$d" +%u) - 1 )) days" '+%-d %B %Y')
grep -q "<title>File server activity: week of $monday</title>" week.html || fail "last week, from $monday: $(grep '<title>' week.html)"
! grep -qi '<script' week.html || fail 'no script'
grep -q '<section id="summary">' week.html || fail 'the sections'`,
  "smbta-report -R archive --day yesterday 'share=projects' --json | jq .totals": (cmd) => `
cp yesterday.smbta archive/yesterday.smbta
{ ${cmd}; } > out.txt 2> err.txt || fail report
[ "$(jq .records out.txt)" -eq "$(smbta-json -r yesterday.smbta 'share=projects' | wc -l)" ] || fail "the share's records: $(cat out.txt)"
[ "$(jq .read out.txt)" -gt 0 ] || fail 'bytes read'`,
  'smbta-report -R archive --mail admin@example.org > report.eml': (cmd) => `
cp yesterday.smbta archive/yesterday.smbta
${cmd} 2> err.txt || fail report
python3 -c 'import email, sys; m = email.message_from_binary_file(open("report.eml", "rb")); print(m["To"], m.get_content_type(), *[p.get_content_type() for p in m.get_payload()])' > parts.txt || fail 'not a mail'
[ "$(cat parts.txt)" = 'admin@example.org multipart/alternative text/plain text/html' ] || fail "the parts: $(cat parts.txt)"`,
  'smbta-report -R archive --out reports --keep 90d': (cmd) => `
cp yesterday.smbta archive/yesterday.smbta
${cmd} > out.txt 2> err.txt || fail report
[ -s "reports/day-$(date -d yesterday +%F).html" ] && [ -s reports/index.html ] || fail "the dated report and the index: $(ls reports)"
grep -q "href=.day-$(date -d yesterday +%F).html" reports/index.html || fail "the index links it: $(cat reports/index.html)"
[ ! -s out.txt ] || fail 'quiet on stdout'`,
  'smbta-json -r day.smbta | jq -r .user | sort | uniq -c': (cmd) => `
${cmd} > out.txt || fail json
grep -Eq '^ +[0-9]+ bob$' out.txt || fail "operations per user: $(head out.txt)"
[ "$(awk '{s += $1} END {print s}' out.txt)" -eq 20000 ] || fail 'every record counted'`,
  "smbta-json -S localhost:3491 'bytes>100M'": (cmd) => `
smbta-mux -r day.smbta -P 3491 --wait-readers 1 2> mux.err &
${bg(cmd)}
wait_for out.txt disk12
settled out.txt
stop $J INT
[ "$(lines out.txt)" -eq 1 ] || fail 'the one large transfer'
[ "$(jq .bytes out.txt)" -eq 209715200 ] || fail 'its size'`,
  "smbta-recv | smbta-filter 'user=bob' | smbta-csv": (cmd) => `
${bg(cmd)}
wait_for err.txt 'listening on'
feed 3000
settled out.txt
stop $J
n=$(tail -n +2 out.txt | wc -l)
[ "$n" -gt 0 ] || fail 'some of bob'
[ "$(tail -n +2 out.txt | cut -d, -f4 | sort -u)" = bob ] || fail "bob's only: $(tail -n +2 out.txt | cut -d, -f4 | sort -u)"`,
  "smbta-filter -R archive 'share~^proj and bytes>=1M' -w big.smbta.bz2": (cmd) => `
${cmd} 2> err.txt || fail "$(cat err.txt)"
n=$(records big.smbta.bz2)
[ "$n" -gt 0 ] && [ "$n" -lt 20000 ] || fail "some of the archive: $n"
smbta-json -r big.smbta.bz2 | jq -e 'select(.bytes < 1048576 or (.share | test("^proj") | not))' > /dev/null && fail 'only large project transfers'
true`,
  "smbta-filter --check 'client in 10.0.0.0/8 and not read'": (cmd) => `
${cmd} > out.txt 2> err.txt || fail "a valid expression: $(cat err.txt)"
[ ! -s out.txt ] || fail 'nothing printed'
smbta-filter --check 'client in 10.0.0.0/33' 2> bad.txt && fail 'a wrong one is refused'
grep -q 'at column 11' bad.txt || fail "with its column: $(cat bad.txt)"`,
  "smbta-filter --explain 'user=bob or user=eve and write'": (cmd) => `
[ "$(${cmd})" = '((user = bob) or ((user = eve) and (op in (write, pwrite))))' ] || fail "and binds tighter: $(${cmd})"`,
  // smbta-top
  // Not on a terminal, it prints what one --refresh showed and exits: the load is already running.
  'smbta-top -S localhost:3491': (cmd) => `
recv_serving 3491
smbta-torture --rate 2000 --duration 10s > /dev/null 2>&1 &
received 100
${cmd} > out.txt 2> err.txt || fail "top: $(cat err.txt)"
grep -q 'USER (' out.txt || fail "the table: $(cat out.txt)"
grep -Eq '^user0 ' out.txt || fail "the busiest user: $(cat out.txt)"`,
  "smbta-top -S hub:3499 -g share 'not client in 10.9.0.0/16'": (cmd) => `
recv_serving 3499
${bg(cmd)}
readers_on recv.err 1
feed 300
wait %$J || fail "top: $(cat err.txt)"
grep -q 'SHARE (' out.txt || fail "busiest shares: $(cat out.txt)"`,
  'smbta-top -R archive/2026-11-23 --speed 60': (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
grep -q '20.0k records' out.txt || fail "the whole day: $(head -3 out.txt)"`,
  'smbta-top -r day.smbta --once -g path --sort total': (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
grep -q 'PATH (' out.txt || fail "files: $(cat out.txt)"
grep -q 'sorted by total' out.txt || fail 'by total'`,
  // smbta-query
  "smbta-query -R archive -q 'share projects since yesterday, top 10 users rw;'": (cmd) => `
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
[ "$(grep -Ec '[0-9.]+ (B|KiB|MiB|GiB)$' out.txt)" -eq 10 ] || fail "ten users: $(cat out.txt)"`,
  'smbta-query top users --since yesterday --share projects -n 10 --mode rw': (cmd) => `
smbta-db load -R archive 2> load.err || fail "$(cat load.err)"
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
smbta-query -R archive -q 'share projects since yesterday, top 10 users rw;' > same.txt
diff <(tail -n +2 out.txt) <(tail -n +2 same.txt) || fail 'the same answer as the statement over the archive'`,
  "smbta-query --db postgres://smbta@db/smbta -q 'global, 24h_usage w;' --svg writes.svg": (cmd) => `
postgres
smbta-db load -R archive --db postgres://smbta@db/smbta 2> load.err || fail "$(cat load.err)"
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
grep -Eq '^23' out.txt || fail "24 hours: $(cat out.txt)"
grep -q '<svg' writes.svg || fail 'a chart'`,
  "smbta-query -r day.smbta.bz2 -q 'global, search %disk12%;' --json": (cmd) => `
${cmd} > out.json 2> err.txt || fail "$(cat err.txt)"
jq -e '.rows | map(select(.name | test("disk12"))) | length > 0' out.json > /dev/null || fail "disk12: $(cat out.json)"`,
  "smbta-query -M sqlite3 -N smbta.db -I 0 -q 'global, list shares;' -x shares.xml": (cmd) => `
smbta-db load -R archive --db smbta.db 2> load.err || fail "$(cat load.err)"
${cmd} > out.txt 2> err.txt || fail "$(cat err.txt)"
grep -q '<table_value id="sharename">projects</table_value>' shares.xml || fail "the shares as webSMBTA reads them: $(cat shares.xml)"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' shares.xml || fail 'well-formed XML'`,
  // smbta-db
  'smbta-recv -P 3491 & smbta-db load -S localhost:3491': (cmd) => `
${bg(cmd)}
wait_for err.txt 'reader .* connected'
feed 1000
sleep 1.5
stop $J
kill %1; wait %1
[ "$(sqlite3 /root/.local/share/smbta/smbta.db 'SELECT count(*) FROM smbta_records')" -eq 1000 ] || fail 'everything received is stored'`,
  'smbta-db load -S hub:3499 --db postgres://smbta@db/smbta --expire-every 1h --older-than 5d': (cmd) => `
postgres
recv_serving 3499
${bg(cmd)}
readers_on recv.err 1
feed 1000
sleep 1.5
stop $J
[ "$(psql -h 127.0.0.1 -U smbta smbta -Atc 'SELECT count(*) FROM smbta_records')" -eq 1000 ] || fail 'stored in PostgreSQL'`,
  'smbta-db load -R archive/2026-11-23 --db day.db': (cmd) => `
${cmd} 2> err.txt || fail "$(cat err.txt)"
[ "$(sqlite3 day.db 'SELECT count(*) FROM smbta_records')" -eq 20000 ] || fail 'the day'`,
  'smbta-db expire --older-than 30d': (cmd) => `
smbta-db load -R archive 2> /dev/null
sqlite3 /root/.local/share/smbta/smbta.db "UPDATE smbta_records SET time = time - 40 * 86400000 WHERE rowid % 2 = 0"
${cmd} 2> err.txt || fail "$(cat err.txt)"
grep -q 'expired 10000 records' err.txt || fail "$(cat err.txt)"`,
  // smbta-rrd
  'smbta-rrd -S localhost:3499 --rrd /var/lib/smbta/site.rrd': (cmd) => `
mkdir -p /var/lib/smbta
recv_serving 3499
${bg(cmd)}
readers_on recv.err 1
feed 1000
sleep 0.5
stop $J
[ -s /var/lib/smbta/site.rrd ] || fail 'the database'
rrdtool info /var/lib/smbta/site.rrd | grep -q 'ds\\[read\\]' || fail 'read throughput kept'`,
  "smbta-rrd -R archive --rrd projects.rrd 'share=projects'": (cmd) => `
${cmd} 2> err.txt || fail "$(cat err.txt)"
grep -Eq 'wrote [0-9]+ steps' err.txt || fail "$(cat err.txt)"`,
  'smbta-rrd --rrd /var/lib/smbta/site.rrd --graph today.png --since today': (cmd) => `
mkdir -p /var/lib/smbta
smbta-rrd -r day.smbta --rrd /var/lib/smbta/site.rrd 2> /dev/null || fail 'the database'
${cmd} 2> err.txt || fail "$(cat err.txt)"
[ "$(head -c 4 today.png | od -An -c | tr -d ' ')" = '211PNG' ] || fail 'a PNG'`,
};

/** Runs one scenario in a fresh sandbox whose home holds the example data. */
async function runScenario(name: string, script: string): Promise<void> {
  const dir = join(base, name.replace(/[^\w.-]+/g, '_').slice(0, 80) + '-' + Math.random().toString(36).slice(2, 8));
  mkdirSync(dir, { recursive: true });
  cpSync(template, join(dir, 'home'), { recursive: true });
  const r = await runInSandbox(dir, script, 180_000);
  assert.equal(r.code, 0, `${name} (in ${dir})\n${r.stderr.slice(-4000)}`);
}

const examples = PROGRAMS.flatMap((p) => p.examples.map(([cmd]) => cmd));
/** SMBTA_EXAMPLES=REGEX runs only the examples it matches (while working on one). */
const only = process.env.SMBTA_EXAMPLES === undefined ? undefined : new RegExp(process.env.SMBTA_EXAMPLES);

test('every --help example has a scenario here, and every scenario is an example', () => {
  assert.deepEqual(
    examples.filter((c) => !(c in PROGRAM_SCENARIOS)),
    [],
  );
  assert.deepEqual(
    Object.keys(PROGRAM_SCENARIOS).filter((c) => !examples.includes(c)),
    [],
  );
});

test('every --help example (and docs/programs page) runs as written and does what it says', { skip, concurrency: 4, timeout: 900_000 }, async (t) => {
  await Promise.all(
    examples
      .filter((c) => !only || only.test(c))
      .map((cmd) => t.test(cmd, () => runScenario(cmd, (PROGRAM_SCENARIOS[cmd] ?? (() => 'fail "no scenario"'))(cmd)))),
  );
});

void postgresBin;
void readFileSync;
void ROOT;

/** The command lines of a page's ```sh blocks, comments cut, in order. */
function shellLines(page: string): string[] {
  const doc = readFileSync(join(ROOT, page), 'utf8');
  return [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] ?? '')
      .split('\n')
      .map((l) => l.replace(/\s+#\s.*$/, '').trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

/** How the tour runs a line: as written, or (a live reader) as written until Ctrl-C; and what it must have done. */
interface TourStep {
  /** `live`: runs until interrupted, as a reader of a live stream does; `as-is`: the line as written. */
  run: 'as-is' | 'live';
  /** Bash run before the line (the user waiting for something). */
  before?: string;
  /** Bash checks after it; the line's stdout is in step.out. */
  check: string;
}

const TOUR: Record<string, TourStep> = {
  'smbta-recv -P 3491 &': { run: 'as-is', check: "wait_for tour.err 'serving readers on 127.0.0.1:3491'" },
  'smbta-torture -c 4 --rate 2000 --duration 15m > sent.json &': { run: 'as-is', check: 'received 2000 1 tour.err' },
  'smbta-cat -S localhost:3491': { run: 'live', check: '[ "$(lines step.out)" -gt 100 ] || fail "records as they happen: $(lines step.out)"' },
  "smbta-cat -S localhost:3491 'write and bytes>=64K'": {
    run: 'live',
    check: `[ "$(lines step.out)" -gt 10 ] || fail 'some large writes'
tail -n +2 step.out | awk '$7 !~ /write/ {bad = 1} END {exit bad}' || fail "writes only: $(head step.out)"`,
  },
  "smbta-cat -S localhost:3491 -s time,user,op,bytes,path 'user=bob'": {
    run: 'live',
    check: `head -1 step.out | grep -Eq '^TIME +USER +OP +BYTES +PATH' || fail "the chosen columns: $(head -1 step.out)"
tail -n +2 step.out | awk '$3 != "bob" {bad = 1} END {exit bad}' || fail "bob only: $(head step.out)"`,
  },
  'smbta-top -S localhost:3491': { run: 'as-is', check: `grep -q 'USER (' step.out || fail "who is busy: $(cat step.out)"` },
  "smbta-rotate -S localhost:3491 -M time 1m --late 2s -w 'archive/%Y-%m-%d/smbta.%H%M.smbta' &": {
    run: 'as-is',
    check: "wait_for tour.err 'reader .* connected'",
  },
  'ls archive/*/': {
    run: 'as-is',
    before: `for ((i = 0; i < 150; i++)); do ls archive/*/*.smbta > /dev/null 2>&1 && break; sleep 0.5; done`,
    check: `grep -Eq '^smbta\\.[0-9]{4}\\.smbta$' step.out || fail "a finished file: $(cat step.out)"`,
  },
  "smbta-cat -R archive 'user=bob' | tail": {
    run: 'as-is',
    // The first finished minute may be the few seconds left of the minute rotate started in: wait for bob's ten.
    before: `for ((i = 0; i < 150; i++)); do [ "$(smbta-cat -R archive 'user=bob' 2>/dev/null | wc -l)" -ge 10 ] && break; sleep 0.5; done`,
    check: `[ "$(lines step.out)" -eq 10 ] || fail "the last ten: $(cat step.out)"
awk '$5 != "bob" {bad = 1} END {exit bad}' step.out || fail "bob only: $(cat step.out)"`,
  },
  'smbta-cluster -R archive -m user -M time 1h | smbta-csv -s time,user,bytes,count': {
    run: 'as-is',
    check: `head -1 step.out | grep -q '^time,user,bytes,count' || fail 'the columns'
[ "$(lines step.out)" -gt 10 ] || fail 'a row per user'`,
  },
  'smbta-filter -S localhost:3491 -N 20000 -w day.smbta.bz2': {
    run: 'as-is',
    check: `[ "$(records day.smbta.bz2)" -eq 20000 ] || fail 'twenty thousand records'`,
  },
  "smbta-json -r day.smbta.bz2 | jq -r '[.user, .bytes] | @tsv' | awk '{b[$1]+=$2} END {for (u in b) print b[u], u}' | sort -rn | head": {
    run: 'as-is',
    check: `[ "$(lines step.out)" -eq 10 ] || fail 'ten users'
[ "$(head -1 step.out | cut -d' ' -f2)" = user0 ] || fail "the busiest first: $(head -1 step.out)"`,
  },
  "smbta-csv -r day.smbta.bz2 'share=projects and write' > projects-writes.csv": {
    run: 'as-is',
    check: `[ "$(lines projects-writes.csv)" -gt 1 ] || fail 'some writes'
python3 -c 'import csv, sys; rows = list(csv.DictReader(open(sys.argv[1], newline=""))); sys.exit(not rows or any(r["op"] not in ("write", "pwrite") or r["share"] != "projects" for r in rows))' projects-writes.csv || fail 'writes to projects only'`,
  },
  "smbta-query -R archive -q 'global, top 10 users rw;' -q 'global, 24h_usage w;'": {
    run: 'as-is',
    check: `grep -c '^# ' step.out | grep -qx 2 || fail "two answers: $(cat step.out)"`,
  },
  'smbta-query -R archive top files --since today -n 5': {
    run: 'as-is',
    check: `[ "$(tail -n +3 step.out | grep -c .)" -eq 5 ] || fail "five files: $(cat step.out)"`,
  },
  'smbta-db load -R archive': {
    run: 'as-is',
    check: `[ "$(sqlite3 /root/.local/share/smbta/smbta.db 'SELECT count(*) FROM smbta_records')" -gt 0 ] || fail 'stored'`,
  },
  "smbta-query -q 'share projects, last_activity 10;'": {
    run: 'as-is',
    // A failed operation ends with its result: ... on share projects (failed: -1).
    check: `[ "$(tail -n +2 step.out | grep -Ec ' on share projects( \\(failed: -?[0-9]+\\))?$')" -eq 10 ] || fail "ten operations: $(cat step.out)"`,
  },
  'kill $(jobs -p)': {
    run: 'as-is',
    check: `for j in 1 2 3; do wait %$j || fail "job %$j did not stop cleanly"; done
[ "$(jq .records sent.json)" -gt 0 ] || fail 'the ledger'
find archive -name '.*.tmp' | grep -q . && fail 'every archive file finished'
true`,
  },
};

/** `s` as one single-quoted shell word. */
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The tour as one bash script: its lines as written, each followed by its checks. */
function tourScript(lines: readonly string[]): string {
  const out = ['exec 2> tour.err'];
  lines.forEach((line, k) => {
    const step = TOUR[line];
    if (!step) return out.push(`fail ${shq(`no tour step for: ${line}`)}`);
    if (step.before) out.push(step.before);
    out.push(`echo ${shq(`--- ${k + 1}: ${line}`)} >&2`, 'exec 5>&1 > step.out');
    if (step.run === 'live') {
      // As a user watching: run it, wait until lines come, press Ctrl-C.
      out.push(
        `${line} &`,
        'L=$(last_job)',
        'exec >&5 5>&-',
        'for ((i = 0; i < 100; i++)); do [ "$(lines step.out)" -gt 20 ] && break; sleep 0.1; done',
        'stop $L INT',
      );
    } else out.push(line, `rc=$?`, 'exec >&5 5>&-', line.endsWith('&') ? ':' : `[ "$rc" -eq 0 ] || fail "exit $rc: "${shq(line)}`);
    out.push(step.check);
  });
  return out.join('\n');
}

test('docs/tour.md runs as written, from nothing to answers, and stops cleanly', { skip, timeout: 300_000 }, async () => {
  const lines = shellLines('docs/tour.md');
  assert.deepEqual(
    lines.filter((l) => !(l in TOUR)),
    [],
    'a tour line without a step here',
  );
  const dir = join(base, 'tour');
  mkdirSync(join(dir, 'home'), { recursive: true });
  const r = await runInSandbox(dir, tourScript(lines), 280_000);
  assert.equal(r.code, 0, `(in ${dir})\n${readFileSync(join(dir, 'home', 'tour.err'), 'utf8').slice(-5000)}`);
});

interface DocBlock {
  lang: string;
  file: string;
  body: string;
}

/** The `# file: PATH` blocks of docs/deploy.md. */
function deployBlocks(): DocBlock[] {
  const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
  return [...doc.matchAll(/```(\w+)\n# file: ([^\n]+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? '', file: m[2] ?? '', body: m[3] ?? '' }));
}

/** One `key=value` of a systemd unit's [Service] section. */
const unitValue = (body: string, key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(body)?.[1];

/**
 * docs/deploy.md as a site: its files written where they say, its install lines run, its
 * units started as their user in their directory, load from a Samba module and syslog,
 * a reload, a stop, then its crontab run with cron's environment and its other commands.
 */
function deployScript(): string {
  const blocks = deployBlocks();
  const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
  const out: string[] = ['exec 2> deploy.err'];
  // Install as the page says.
  for (const line of shellLines('docs/deploy.md')) out.push(line);
  // Every configuration file where it belongs (both smb.conf variants are checked by testparm).
  for (const [k, b] of blocks.entries()) {
    if (b.lang === 'cron' || b.file.includes('(')) continue;
    out.push(`mkdir -p ${shq(b.file.replace(/\/[^/]+$/, ''))}`, `cat > ${shq(b.file)} <<'SMBTA_EOF_${k}'`, b.body.replace(/\n$/, ''), `SMBTA_EOF_${k}`);
  }
  for (const b of blocks.filter((x) => x.file.startsWith('/etc/samba/'))) {
    out.push(
      `cat > smb.conf.check <<'SMBTA_EOF'`,
      `[global]\n${b.body}`,
      'SMBTA_EOF',
      `testparm -s smb.conf.check > /dev/null 2> testparm.err || fail "testparm: $(cat testparm.err)"`,
    );
  }
  out.push(`grep -qx '& stop' /etc/rsyslog.d/smbta.conf || fail 'rsyslog stops after forwarding'`);
  // The units, in order, as systemd would start them.
  const units = blocks.filter((b) => b.file.endsWith('.service'));
  const execs = units.map((u) => unitValue(u.body, 'ExecStart') ?? 'fail no-ExecStart');
  /** Where a unit serves its stream (-P), as its readers' -S give it. */
  const served = (exec: string): string | undefined => /(?:^| )-P (\S+)/.exec(exec)?.[1]?.replace(/^(\d+)$/, '127.0.0.1:$1');
  for (const [k, u] of units.entries()) {
    const user = unitValue(u.body, 'User') ?? 'root';
    const cwd = unitValue(u.body, 'WorkingDirectory') ?? '/';
    // As systemd's User=: the program itself runs as the user (setpriv execs it; runuser would stay between).
    out.push(
      `(cd ${shq(cwd)} && exec setpriv --reuid=${user} --regid=${user} --init-groups -- env HOME="$(getent passwd ${user} | cut -d: -f6)" USER=${user} LOGNAME=${user} ${execs[k]}) 2> unit${k}.err &`,
      `UNIT${k}=$(last_job)`,
    );
    const at = served(execs[k]!);
    if (k === 0)
      out.push(
        `wait_for unit0.err 'listening on 0.0.0.0:3490 and unix:/var/tmp/stadsocket and full_audit syslog on udp 0.0.0.0:5514; serving readers on ${at}'`,
      );
    else if (at) out.push(`wait_for unit${k}.err 'serving on ${at}'`);
  }
  // Every unit that serves has its readers, the units that read it, before anything is sent.
  for (const [k, exec] of execs.entries()) {
    const at = served(exec);
    if (at) out.push(`readers_on unit${k}.err ${execs.filter((e) => e.includes(` -S ${at} `)).length}`);
  }
  out.push(
    'feed 2000',
    // A bait file touched (--canary in the alert unit): its alert reaches the archive through the multiplexer.
    `logger -n 127.0.0.1 -P 5514 -d --rfc3164 -t smbd_audit 'bob|10.0.0.5|pc|pool1|mkdirat|ok|/srv/pool1/q3/~budget-2026.xlsx'`,
    `received 2001 $UNIT0 unit0.err`,
    // systemctl reload smbta-recv
    `kill -HUP $(jobs -p %$UNIT0)`,
    `wait_for unit0.err 'SIGHUP: /etc/smbta/smbta.ini re-read'`,
  );
  // Prometheus scrapes what the units serve.
  const prom = blocks.find((b) => b.file.endsWith('prometheus.yml'))?.body ?? '';
  const targets = [...prom.matchAll(/'([\d.]+:\d+)'/g)].map((m) => m[1] ?? '');
  const metrics = execs.flatMap((e) => [...e.matchAll(/--metrics (\S+)/g)].map((m) => m[1] ?? ''));
  out.push(`[ ${shq(targets.sort().join(' '))} = ${shq(metrics.sort().join(' '))} ] || fail 'Prometheus scrapes what the units serve'`);
  for (const t of targets)
    out.push(
      `(exec 3<>/dev/tcp/${t.replace(':', '/')}; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3) | grep -q '^smbta_records_in_total' || fail 'metrics at ${t}'`,
    );
  // systemctl stop: every unit, last started first.
  out.push('sleep 1.5');
  for (let k = units.length - 1; k >= 0; k--) out.push(`stop $UNIT${k}`);
  out.push(
    `[ "$(smbta-json -R /var/lib/smbta/archive | wc -l)" -eq 2001 ] || fail "the archive holds everything: $(smbta-json -R /var/lib/smbta/archive | wc -l)"`,
    `[ "$(sqlite3 /var/lib/smbta/.local/share/smbta/smbta.db 'SELECT count(*) FROM smbta_records')" -eq 2001 ] || fail 'the store holds everything'`,
    `[ -s /var/lib/smbta/site.rrd ] || fail 'the rrd'`,
    `smbta-top --once -R /var/lib/smbta/archive | grep -q 'ALERT critical canary user=bob' || fail "the alert in the archive: $(smbta-top --once -R /var/lib/smbta/archive)"`,
  );
  // The crontab, as cron runs it: its own environment, its variables, % as in crontab(5).
  const cron = blocks.find((b) => b.lang === 'cron')?.body ?? '';
  const vars = cron.split('\n').filter((l) => /^[A-Z]+=/.test(l));
  out.push(
    'Y=$(date -d yesterday +%F)',
    'mkdir -p /var/lib/smbta/archive/$Y && cp yesterday.smbta /var/lib/smbta/archive/$Y/smbta.0000.smbta',
    'touch -d "401 days ago" /var/lib/smbta/daily/old.smbta.bz2',
    'chown -R smbta /var/lib/smbta',
  );
  const jobs = cron
    .split('\n')
    .filter((l) => /^[\d*]/.test(l))
    .map((l) => l.split(/\s+/).slice(5).join(' ').replace(/\\%/g, '%'));
  for (const [k, job] of jobs.entries()) {
    out.push(
      `runuser -u smbta -- env -i HOME=/var/lib/smbta LOGNAME=smbta SHELL=/bin/sh PATH=/usr/bin:/bin ${vars.map(shq).join(' ')} /bin/sh -c ${shq(job)} > cron${k}.out 2> cron${k}.err || fail "cron job ${k + 1}: $(cat cron${k}.err)"`,
    );
  }
  out.push(
    `[ "$(records /var/lib/smbta/daily/$Y.smbta.bz2)" -gt 0 ] || fail 'the daily file'`,
    `[ ! -e /var/lib/smbta/daily/old.smbta.bz2 ] || fail 'old daily files expire'`,
    `grep -q 'expired' cron2.err || fail "the store's expiry: $(cat cron2.err)"`,
    `[ "$(grep -Ec '[0-9.]+ (B|KiB|MiB|GiB)$' cron3.out)" -ge 20 ] || fail "the weekly report: $(cat cron3.out)"`,
    `grep -q 'records in the period' /var/lib/smbta/reports/day-$Y.html && [ -s /var/lib/smbta/reports/index.html ] || fail "yesterday's report: $(ls /var/lib/smbta/reports)"`,
  );
  // The inline commands of the page.
  for (const cmd of [...doc.matchAll(/`(smbta-[^`]+)`/g)].map((m) => m[1] ?? '').filter((c) => /^smbta-\w+ -/.test(c))) {
    out.push(`${cmd} > inline.out 2> inline.err || fail ${shq(`${cmd}: `)}"$(cat inline.err)"`);
  }
  out.push(`[ "$(head -c 4 week.png | od -An -c | tr -d ' ')" = '211PNG' ] || fail 'the week graph'`);
  return out.join('\n');
}

test('docs/deploy.md runs as written: install, files, units as their user, reload, stop, crontab, graph', { skip, timeout: 300_000 }, async () => {
  const dir = join(base, 'deploy');
  mkdirSync(dir, { recursive: true });
  cpSync(template, join(dir, 'home'), { recursive: true });
  const r = await runInSandbox(dir, deployScript(), 280_000);
  assert.equal(r.code, 0, `(in ${dir})\n${readFileSync(join(dir, 'home', 'deploy.err'), 'utf8').slice(-5000)}`);
});
