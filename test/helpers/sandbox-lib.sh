# Shell helpers for scripts run by test/helpers/sandbox.ts (sourced after its prelude).
# Every wait is bounded; every check that fails ends the script with a message.

set -m # job control: each background job is its own process group, and %N names it

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_for FILE REGEX [SECONDS]: until FILE has a line matching REGEX.
wait_for() {
  local i
  for ((i = 0; i < ${3:-20} * 20; i++)); do
    grep -Eaq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "no /$2/ in $1 within ${3:-20}s: $(tail -c 3000 "$1" 2>/dev/null)"
}

# lines FILE: how many lines FILE has (0 when it does not exist).
lines() {
  if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# settled FILE: until FILE has stopped growing (the same non-zero size twice, 0.4 s apart).
settled() {
  local i a=-1 b
  for ((i = 0; i < 100; i++)); do
    b=$(stat -c %s "$1" 2>/dev/null || echo 0)
    [ "$b" -gt 0 ] && [ "$b" = "$a" ] && return 0
    a=$b
    sleep 0.4
  done
  fail "$1 never stopped growing"
}

# last_job: the number of the job started last (for stop %N).
last_job() {
  jobs %% | sed -E 's/^\[([0-9]+)\].*/\1/'
}

# stop N [SIGNAL]: signals job %N (its whole pipeline), waits for it, and requires exit 0.
stop() {
  kill -"${2:-TERM}" %"$1" 2>/dev/null
  local rc=0
  wait %"$1" || rc=$?
  [ "$rc" -eq 0 ] || fail "job %$1 exited $rc"
}

# recv_serving PORT: a receiver on 127.0.0.1:3490 serving readers on PORT (job number in RECV).
recv_serving() {
  smbta-recv -i 3490 -P "$1" 2>recv.err &
  RECV=$(last_job)
  wait_for recv.err 'serving readers on'
}

# feed N [SEED] [DEST]: N records from four emulated file servers into the receiver on 3490.
feed() {
  smbta-torture -c 4 -n "$1" --seed "${2:-1}" -d "${3:-127.0.0.1:3490}" --ledger fed.json 2>feed.err || fail "torture: $(cat feed.err)"
}

# readers PORT N: until the receiver or multiplexer serving PORT has N readers connected.
readers_on() {
  local err=$1 n=$2 i
  for ((i = 0; i < 400; i++)); do
    [ "$(grep -c ' connected$' "$err" 2>/dev/null || true)" -ge "$n" ] && return 0
    sleep 0.05
  done
  fail "fewer than $n readers connected: $(cat "$err")"
}

# records FILE: how many records a stream file holds.
records() {
  smbta-json -r "$1" | wc -l
}

# samba SHARE...: a real smbd on port 445 of this sandbox, with these shares (full_audit on
# each, logged to /var/log/samba/audit.log), and the user bob (password secret).
samba() {
  local conf=/etc/samba/smb.conf share
  mkdir -p /etc/samba /var/lib/samba/private /var/log/samba /run/samba /var/cache/samba
  useradd -M -s /usr/sbin/nologin bob 2>/dev/null || true
  {
    printf '[global]\n  server role = standalone server\n  smb ports = 445\n  interfaces = lo %s\n  bind interfaces only = yes\n' "${SMB_INTERFACES:-}"
    printf '  disable netbios = yes\n  log file = /var/log/samba/log.smbd\n  load printers = no\n  printing = bsd\n  printcap name = /dev/null\n'
    printf '  disable spoolss = yes\n  server min protocol = SMB2_02\n  passdb backend = tdbsam\n'
    for share in "$@"; do
      mkdir -p "/srv/$share"
      chmod 777 "/srv/$share"
      printf '[%s]\n  path = /srv/%s\n  read only = no\n' "$share" "$share"
    done
  } >"$conf"
  printf 'secret\nsecret\n' | smbpasswd -c "$conf" -s -a bob >/dev/null || fail 'smbpasswd'
  smbd --foreground --no-process-group --configfile="$conf" 2>smbd.err &
  SMBD=$(last_job)
  local i
  for ((i = 0; i < 400; i++)); do
    (exec 3<>/dev/tcp/127.0.0.1/445) 2>/dev/null && return 0
    sleep 0.05
  done
  fail "smbd did not listen on 445: $(cat smbd.err)"
}

# postgres: a PostgreSQL server on 127.0.0.1:5432 of this sandbox, with a user and database smbta.
postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p /var/lib/pg /run/postgresql
  chown postgres /var/lib/pg /run/postgresql
  cd / || return
  runuser -u postgres -- "$bin/initdb" -D /var/lib/pg/data -A trust -U smbta -E UTF8 --locale C >/dev/null || fail initdb
  runuser -u postgres -- "$bin/pg_ctl" -D /var/lib/pg/data -w -l /var/lib/pg/log -o '-p 5432 -k /run/postgresql -c listen_addresses=127.0.0.1 -c fsync=off' start >/dev/null || fail "postgres: $(cat /var/lib/pg/log)"
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -U smbta smbta || fail createdb
  cd - >/dev/null || return
}

# received N [JOB] [ERRFILE]: until the receiver of job %JOB (default $RECV, stderr in
# ERRFILE, default recv.err) says it has N records (it says so on SIGUSR1).
received() {
  local pid err=${3:-recv.err} i n=0
  pid=$(jobs -p %"${2:-$RECV}")
  for ((i = 0; i < 300; i++)); do
    kill -USR1 "$pid"
    sleep 0.1
    n=$(grep -Eo '[0-9]+ records \(' "$err" | tail -1 | grep -Eo '^[0-9]+' || echo 0)
    [ "${n:-0}" -ge "$1" ] && return 0
  done
  fail "the receiver has ${n:-0} of $1 records: $(tail -c 2000 "$err")"
}

# samba_behind_eth0 SHARE...: smbd (as `samba` makes it) also on 10.0.0.5:445 of this sandbox's
# eth0, a veth whose other end (10.0.0.6) is in a second namespace where `client` runs
# smbclient: SMB crosses eth0 as it crosses a file server's interface.
samba_behind_eth0() {
  unshare --net sleep 3600 &
  PEER=$!
  local i
  for ((i = 0; i < 100; i++)); do [ "$(readlink /proc/$PEER/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
  ip link add eth0 type veth peer name eth0c netns "$PEER" || fail 'a veth pair'
  ip addr add 10.0.0.5/24 dev eth0 && ip link set eth0 up || fail eth0
  nsenter -t "$PEER" -n sh -c 'ip addr add 10.0.0.6/24 dev eth0c && ip link set eth0c up && ip link set lo up' || fail 'the peer'
  SMB_INTERFACES=eth0 samba "$@"
}

# client SHARE COMMANDS: smbclient as bob, from the other side of eth0.
client() {
  nsenter -t "$PEER" -n smbclient "//10.0.0.5/$1" -U bob%secret -c "$2" >client.out 2>&1 || fail "smbclient: $(cat client.out)"
}
