#!/usr/bin/env bash
# The system calls each family's client and server make per message, counted by
# strace -c over N mirror round trips of 64 bytes (docs/bench.md, "Calls per
# message"), beside what the bench's floor makes: one send and one recv each side.
#
#   bash scripts/bench-syscalls.sh BIN_DIR [N]           print the table
#   bash scripts/bench-syscalls.sh --check BIN_DIR [N]   also fail above the bounds
#
# Then a stream server's epoll_waits per read of a stream written flat out (N/2 writes of
# 64 KiB), and the servers' calls per connection (N/10 clients, at most 300, one after the
# other).
#
# Bounds (--check): a client makes one send and one recv per message (2 calls);
# a datagram server the same, plus a look at its stop descriptor every 64
# datagrams; a stream server adds epoll_wait (3): the one it needs to serve
# many connections from one thread.  Needs strace; traffic stays on loopback
# and abstract AF_UNIX names.
set -euo pipefail
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
bin=${1:?usage: bench-syscalls.sh [--check] BIN_DIR [N]}
n=${2:-2000}
command -v strace >/dev/null || { echo "bench-syscalls: strace is not installed (apt-get install strace)" >&2; exit 77; }
# Under the sanitizer build's ptrace LeakSanitizer cannot run: the counts need no leak check.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tmp=$(mktemp -d)
spid=
tpid=
addr=
client=()
cleanup() {
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null || true
    [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

# calls FILE: the calls per message of an strace -c summary (those made at least n/10 times).
calls() {
    awk -v n="$n" 'NR > 2 && $NF != "total" && $4 + 0 >= n / 10 { s += $4 } END { printf "%.2f", s / n }' "$1"
}
detail() {
    awk -v n="$n" 'NR > 2 && $NF != "total" && $4 + 0 >= n / 10 { printf "%s %.2f, ", $NF, $4 / n }' "$1" | sed 's/, $//'
}

# serve NAME SERVER... -- CLIENT...: start the server, read where it listens (into addr),
# attach strace -c to it (its counts into $tmp/s.txt once unserve stops both), and put the
# client's command line in client, @ADDR@ replaced with that address.
serve() {
    local name=$1 i s=()
    shift
    while [ "$1" != -- ]; do s+=("$1"); shift; done
    shift
    "${s[@]}" 2>"$tmp/serr" &
    spid=$!
    # Its readiness line, within 15 s (a loaded machine: a parallel ctest), or its end.
    for i in $(seq 300); do
        grep -q 'listening on' "$tmp/serr" 2>/dev/null && break
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$tmp/serr" | head -1)
    [ -n "$addr" ] || {
        echo "bench-syscalls: $name: no readiness line from ${s[0]} (it ended, or 15 s passed); it said: $(head -c 300 "$tmp/serr" | tr '\n' ' ')" >&2
        exit 1
    }
    client=("${@/@ADDR@/$addr}")
    strace -f -c -o "$tmp/s.txt" -p "$spid" 2>"$tmp/strace.err" &
    tpid=$!
    for i in $(seq 100); do grep -q 'attached' "$tmp/strace.err" 2>/dev/null && break; sleep 0.05; done
}
unserve() {
    kill -INT "$tpid"; wait "$tpid" 2>/dev/null || true; tpid=
    kill -INT "$spid"; wait "$spid" 2>/dev/null || true; spid=
}
# bound WHAT VALUE MAX UNIT [MIN]: with --check, fail (saying so) when VALUE is above MAX,
# or below MIN.
bound() {
    [ $check = 1 ] || return 0
    awk -v a="${2:-0}" -v b="$3" 'BEGIN { exit !(a <= b) }' || { echo "bench-syscalls: $1: $2 $4, more than $3" >&2; failed=1; }
    [ -n "${5:-}" ] || return 0
    awk -v a="${2:-0}" -v b="$5" 'BEGIN { exit !(a >= b) }' || { echo "bench-syscalls: $1: $2 $4, fewer than $5" >&2; failed=1; }
}

# run NAME CLIENT_MAX SERVER_MAX SERVER... -- CLIENT... (@ADDR@ in CLIENT: where the server listens)
run() {
    local name=$1 cmax=$2 smax=$3 cc sc
    shift 3
    serve "$name" "$@"
    strace -c -o "$tmp/c.txt" "${client[@]}" >/dev/null
    unserve
    cc=$(calls "$tmp/c.txt") sc=$(calls "$tmp/s.txt")
    printf '%-16s client %5s (%s)\n%-16s server %5s (%s)\n' "$name" "$cc" "$(detail "$tmp/c.txt")" "" "$sc" "$(detail "$tmp/s.txt")"
    bound "$name client" "$cc" "$cmax" "calls a message"
    bound "$name server" "$sc" "$smax" "calls a message"
}

# conns NAME SERVER_MAX SERVER... -- CLIENT...: the server's calls per connection, over m
# clients run one after the other (each: connect, one 64-byte echo, close), as the bench's
# connect cell makes them; only the server is counted (a client's start is exec's, not ours).
conns() {
    local name=$1 smax=$2 sc call
    shift 2
    serve "$name" "$@"
    for _ in $(seq "$m"); do "${client[@]}" >/dev/null; done
    unserve
    sc=$(n=$m calls "$tmp/s.txt")
    printf '%-16s server %5s a connection (%s)\n' "$name" "$sc" "$(n=$m detail "$tmp/s.txt")"
    bound "$name server" "$sc" "$smax" "calls a connection"
    # epoll_ctl and close: once a connection (no EPOLL_CTL_DEL).  accept4: once, and once
    # more where the wake-up found the last connection's end ready too (then the backlog
    # is read to its end, and the last accept finds it empty, in place of an epoll_wait:
    # 19% of tcp's connections in one run); at most 1.5.
    for call in accept4:1.5 epoll_ctl:1.05 close:1.05; do
        bound "$name server" "$(awk -v n="$m" -v c="${call%%:*}" '$NF == c { printf "%.2f", $4 / n }' "$tmp/s.txt")" \
            "${call#*:}" "${call%%:*} calls a connection"
    done
}

# streams NAME MIN MAX SERVER... -- CLIENT...: a writer that keeps the socket full (64 KiB
# writes, discarded): the server's epoll_waits per read (recvfrom calls), MIN to MAX.  A
# read that fills the buffer is followed by another at once, not by an epoll_wait: unix-
# stream 0.06 here; tcp 0.25-0.50 (a TCP read returns less than 64 KiB when fewer
# segments have come, and then the server waits), 1.00 before the burst.  The burst is at
# most 17 reads a wake-up, so that the others' turn comes: with 4 KiB reads, where the
# socket holds far more than 17 of them, never under 1/17 (0.059).
streams() {
    local name=$1 min=$2 max=$3 r w
    shift 3
    serve "$name" "$@"
    "${client[@]}" >/dev/null
    unserve
    r=$(awk '$NF == "recvfrom" || $NF == "read" { s += $4 } END { print s + 0 }' "$tmp/s.txt")
    w=$(awk '$NF == "epoll_wait" { print $4 }' "$tmp/s.txt")
    w=$(awk -v r="$r" -v w="${w:-0}" 'BEGIN { printf "%.3f", r ? w / r : 99 }')
    printf '%-16s server %5s epoll_wait a read (%s reads)\n' "$name" "$w" "$r"
    bound "$name server" "$w" "$max" "epoll_wait calls a read" "$min"
}

q=(-m mirror -q -c "$n" -s 64)
run tcp 2.02 3.05 "$bin/tcp-server" -m mirror -p 0 -q -- "$bin/tcp-client" "${q[@]}" @ADDR@
run udp 2.02 2.05 "$bin/udp-server" -m mirror -p 0 -q -- "$bin/udp-client" "${q[@]}" @ADDR@
run udp-connected 2.02 2.05 "$bin/udp-server" -m mirror -p 0 -q -- "$bin/udp-client" --connect "${q[@]}" @ADDR@
for t in stream seqpacket dgram; do
    smax=3.05
    [ $t = dgram ] && smax=2.05
    run "unix-$t" 2.02 $smax "$bin/unix-server" -t $t -m mirror -b "@sockfam-syscalls-$$-$t" -q -- \
        "$bin/unix-client" -t $t "${q[@]}" "@sockfam-syscalls-$$-$t"
done
# A stream written flat out: 64 KiB writes, as the bench's stream cell makes them.
big=(-m discard -q -c "$(( n / 2 ))" -s 65536)
streams tcp-stream 0 0.9 "$bin/tcp-server" -m discard -p 0 -q --recv-size 65536 -- "$bin/tcp-client" "${big[@]}" @ADDR@
streams unix-stream-flat 0 0.5 "$bin/unix-server" -m discard -b "@sockfam-syscalls-$$-f" -q --recv-size 65536 -- \
    "$bin/unix-client" "${big[@]}" "@sockfam-syscalls-$$-f"
streams unix-stream-4k 0.055 0.5 "$bin/unix-server" -m discard -b "@sockfam-syscalls-$$-k" -q --recv-size 4096 -- \
    "$bin/unix-client" "${big[@]}" "@sockfam-syscalls-$$-k"
# Per connection: accept4, epoll_ctl(ADD), recv (the message, read at once: it came with
# the connection), send, epoll_wait, recv (the end), close, and the listener's epoll_wait:
# 8.  When the scheduler ran the server between the client's connect and its send, the
# first read finds nothing and an epoll_wait says when the message comes: 10 (a loaded
# machine, a parallel ctest).  Either way one epoll_ctl (no EPOLL_CTL_DEL: the close
# takes the socket out of the set) and one close; one accept4, at times two.
m=$(( n / 10 > 300 ? 300 : n / 10 ))
[ "$m" -ge 20 ] || m=20
one=(-m mirror -q -s 64)
conns tcp-connect 10.05 "$bin/tcp-server" -m mirror -p 0 -q -- "$bin/tcp-client" "${one[@]}" @ADDR@
conns unix-connect 10.05 "$bin/unix-server" -m mirror -b "@sockfam-syscalls-$$-c" -q -- \
    "$bin/unix-client" "${one[@]}" "@sockfam-syscalls-$$-c"
exit $failed
