#!/usr/bin/env bash
# The reference runs of docs/choosing.md: `sockfam compare --link lab --json`
# under each condition below (tcp, udp, icmp and mptcp side by side), one
# JSON file per condition in DIR, then one Markdown table, family by
# condition, on stdout. Needs root (the lab's namespaces), sockfam built in
# build/, and jq.
#
#   bash scripts/lab-runs.sh [DIR]            run every condition into DIR (default docs/lab)
#   bash scripts/lab-runs.sh --table [DIR]    print the table of the JSON already in DIR
#   bash scripts/lab-runs.sh --help
#
# Each run is bounded (--bound, 120 s by default); the first failure stops the
# script with one line on stderr. The lab tears itself down on every exit of
# sockfam, so nothing is left behind but DIR's JSON files.
set -euo pipefail

prog=lab-runs.sh
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$root/scripts/lib.sh" # die, need

# One condition a line: name|what the table calls it|sockfam compare's arguments.
# -c 1000 -s 1000: at 1% loss about 2% of TCP's round trips pay a timeout, so
# a p99 from 1000 round trips lands in them in nearly every run, where one from
# 200 falls either side of it; the 5% loss run takes about 20 s.
# The two udp-alone runs check the fragment-loss formula. udp-client waits its
# 200 ms timeout for every datagram lost: the 4000-byte run, about a quarter
# of them lost, takes about a minute, and the 65000-byte one has 100 messages
# because more than half of them go unanswered (about 15 s).
conditions=(
    "lan|lossless LAN|-c 1000 -s 1000"
    "loss-1pct|\`--loss 1%\`|-c 1000 -s 1000 --loss 1%"
    "loss-5pct|\`--loss 5%\`|-c 1000 -s 1000 --loss 5%"
    "mtu-1280|\`--mtu 1280\`|-c 1000 -s 1000 --mtu 1280"
    "mtu-1280-s4000|\`--mtu 1280 -s 4000\`|-c 1000 -s 4000 --mtu 1280"
    "rate-10mbit|\`--rate 10mbit\`|-c 1000 -s 1000 --rate 10mbit"
    "frag-3-loss-5pct|\`-s 4000 --loss 5%\`, udp|--families udp -c 1000 -s 4000 --loss 5%"
    "frag-44-loss-1pct|\`-s 65000 --loss 1% -c 100\`, udp|--families udp -c 100 -s 65000 --loss 1%"
)
families=tcp,udp,icmp,mptcp

usage() {
    cat <<EOF
Usage: bash scripts/lab-runs.sh [--table] [--only LIST] [--bound SEC] [--sockfam PATH] [DIR]

Run \`sockfam compare --link lab --json\` (families $families) once under each
condition, save each run as DIR/NAME.json (default DIR: docs/lab), and print a
Markdown table, a row per family and condition.

Conditions (NAME: sockfam compare's arguments):
$(for c in "${conditions[@]}"; do IFS='|' read -r n _ a <<<"$c"; printf '  %-18s %s\n' "$n" "$a"; done)
(--families $families unless the condition names its own.)

Options:
  --table          print the table from the JSON already in DIR; run nothing
  --only LIST      comma-separated condition names: run (or tabulate) only those
  --bound SEC      stop a run that takes longer than SEC seconds (default 120)
  --sockfam PATH   the sockfam to run (default: build/bin/sockfam in this repository)
  -h, --help       show this help and exit

Needs root (the lab's network namespaces), jq, and what the lab is built
with (ip and tc from iproute2, nft from nftables, ethtool).

Exit status: 0 every run succeeded, 64 bad usage, 65 a JSON file that is not
a lab run's, 66 (--table) a JSON file missing, 69 a tool is missing, 73 DIR
cannot be created, 75 a run went past its bound, 77 not root; otherwise the
exit status of the sockfam compare run that failed (1 a family failed, 75
its capture was incomplete, ...), named on stderr.
EOF
}

table_only=0 only='' bound=120 sockfam="$root/build/bin/sockfam" dir=''
while [ $# -gt 0 ]; do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --table) table_only=1 ;;
    --only) [ $# -ge 2 ] || die 64 "--only needs a list of conditions"; only=$2; shift ;;
    --only=*) only=${1#--only=} ;;
    --bound) [ $# -ge 2 ] || die 64 "--bound needs seconds"; bound=$2; shift ;;
    --bound=*) bound=${1#--bound=} ;;
    --sockfam) [ $# -ge 2 ] || die 64 "--sockfam needs a path"; sockfam=$2; shift ;;
    --sockfam=*) sockfam=${1#--sockfam=} ;;
    --) shift; break ;;
    -*) die 64 "unknown option '$1' (--help lists them)" ;;
    *) [ -z "$dir" ] || die 64 "one DIR only, not '$dir' and '$1'"; dir=$1 ;;
    esac
    shift
done
if [ $# -gt 0 ]; then
    if [ -n "$dir" ] || [ $# -ne 1 ]; then die 64 "one DIR only"; fi
    dir=$1
fi
[ -n "$dir" ] || dir="$root/docs/lab"
[[ "$bound" =~ ^[1-9][0-9]{0,4}$ ]] || die 64 "--bound must be 1-99999 seconds, not '$bound'"

# The conditions chosen, in the table's order.
selected=()
for c in "${conditions[@]}"; do
    name=${c%%|*}
    if [ -z "$only" ] || [[ ",$only," == *",$name,"* ]]; then selected+=("$c"); fi
done
if [ -n "$only" ]; then
    IFS=',' read -r -a asked <<<"$only"
    for a in "${asked[@]}"; do
        found=0
        for c in "${conditions[@]}"; do [ "${c%%|*}" = "$a" ] && found=1; done
        [ "$found" -eq 1 ] || die 64 "no condition '$a' (--help lists them)"
    done
fi
[ ${#selected[@]} -gt 0 ] || die 64 "--only selects no condition"

need jq jq

tmp=
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

run_all() {
    local c name label args rc last out
    [ "$(id -u)" -eq 0 ] || die 77 "the lab needs root (network namespaces, nftables, captures)"
    [ -x "$sockfam" ] || die 69 "no sockfam at $sockfam: build it first (cmake -S . -B build && cmake --build build)"
    need ip iproute2
    need tc iproute2
    need nft nftables
    need ethtool ethtool
    need timeout coreutils
    mkdir -p "$dir" || die 73 "cannot create $dir"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/lab-runs.XXXXXX")
    for c in "${selected[@]}"; do
        IFS='|' read -r name label args <<<"$c"
        out="$dir/$name.json"
        local -a argv
        read -r -a argv <<<"$args"
        [[ " $args " == *" --families "* ]] || argv=(--families "$families" "${argv[@]}")
        echo "$prog: $name: sockfam compare --link lab ${argv[*]}" >&2
        rc=0
        timeout --kill-after=10 "$bound" "$sockfam" compare --link lab --json "${argv[@]}" \
            >"$tmp/run.json" 2>"$tmp/run.err" || rc=$?
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            die 75 "$name: sockfam compare ran past its bound of $bound s (a busy machine? --bound)"
        fi
        if [ "$rc" -ne 0 ]; then
            last=$(grep -v '^[[:space:]]*$' "$tmp/run.err" | tail -n 1 || true)
            echo "$prog: $name: sockfam compare exited $rc: ${last:-no message}" >&2
            exit "$rc"
        fi
        jq -e '.capture == "complete" and .link.kind == "lab" and
               all(.families[]; .status == "ok")' "$tmp/run.json" >/dev/null ||
            die 1 "$name: the run's JSON is not a whole lab run (capture, link or a family's status)"
        mv "$tmp/run.json" "$out"
    done
}

# The jq program that turns one run's JSON into its rows of the table.
rows_jq() {
    cat <<'JQ'
def us: if . == null then "–"
        elif . < 1000 then "\(. | round) us"
        elif . < 10000 then "\((. / 10 | round) / 100) ms"
        elif . < 1000000 then "\((. / 100 | round) / 10) ms"
        else "\((. / 10000 | round) / 100) s" end;
def lost($w; $stream):
  if $stream then "\($w.lost_on_wire) pkts / –"
  else "\($w.lost_on_wire) / \($w.lost_at_receiver // "?")" end;
def per($f): if $f.datagrams > 0 then "\(($f.pieces / $f.datagrams * 10 | round) / 10)" else "–" end;
def got($w):
  "\($w.delivered) of \($w.sent)" +
  (if $w.duplicated > 0 or $w.unaccounted != 0
   then " (copies \($w.duplicated), unaccounted \($w.unaccounted))" else "" end);
def none($f): ($f.up.datagrams + $f.down.datagrams) == 0;
def frags($f): if none($f) then "–" else "\(per($f.up)) / \(per($f.down))" end;
def fraglost($f):
  if none($f) then "–"
  else "\($f.up.lost_by_a_piece) of \($f.up.datagrams) / \($f.down.lost_by_a_piece) of \($f.down.datagrams)" end;
[.families[] | .delivery_each_way.up.stream as $s |
  [ "", .family,
    "\(got(.delivery_each_way.up)) / \(got(.delivery_each_way.down))",
    lost(.delivery_each_way.up; $s), lost(.delivery_each_way.down; $s),
    (if .tcp_retrans == null then "–"
     else "\(.resent_each_way.up) / \(.tcp_retrans); \(.resent_each_way.down)" end),
    frags(.fragments), fraglost(.fragments),
    (if .largest_segment == null then "–" else "\(.largest_segment)" end),
    (.rtt_us.p50 | us),
    (if .rtt_us.n >= 100 then (.rtt_us.p99 | us) else "–" end),
    (.rtt_us.max | us),
    (if .rtt_us.n > 0 and (.rtt_us.cdf | length) == 0 and .rtt_us.max >= 100000 then "?"
     elif .rtt_us.n > 0
     then "\(.rtt_us.over_100ms) (\((.rtt_us.over_100ms * 1000 / .rtt_us.n | round) / 10)%)"
     else "–" end) ]]
| (.[0][0] = $cond)
| .[] | "| " + join(" | ") + " |"
JQ
}

# The Markdown table: a row per family and condition, from DIR/NAME.json.
table() {
    local c name label args
    for c in "${selected[@]}"; do
        name=${c%%|*}
        [ -r "$dir/$name.json" ] || die 66 "no $dir/$name.json: run bash scripts/lab-runs.sh first"
    done
    echo "| condition | family | delivered up / down (of sent) | lost up: wire / rcvr | lost down: wire / rcvr" \
        "| TCP resent up: captures / kernel; down | fragments a datagram, up / down" \
        "| datagrams lost by a fragment, up / down | largest segment | p50 | p99 | max | >100 ms |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for c in "${selected[@]}"; do
        IFS='|' read -r name label args <<<"$c"
        jq -r --arg cond "$label" "$(rows_jq)" "$dir/$name.json" ||
            die 65 "$dir/$name.json: not the JSON of a lab run"
    done
}

# The router's own counters beside the captures': every loss the router's.
router_table() {
    local c name label args
    for c in "${selected[@]}"; do
        name=${c%%|*}
        [ -r "$dir/$name.json" ] || die 66 "no $dir/$name.json: run bash scripts/lab-runs.sh first"
    done
    cat <<'EOF'

| condition | the router's loss rules dropped, up / down (nft counters) | lost on the wire, every family, up / down (captures) |
| --- | --- | --- |
EOF
    for c in "${selected[@]}"; do
        IFS='|' read -r name label args <<<"$c"
        jq -r --arg cond "$label" '
            "| \($cond) | \(.link.router_dropped.up) / \(.link.router_dropped.down) | " +
            "\([.families[].lost_on_wire.up] | add) / \([.families[].lost_on_wire.down] | add) |"' \
            "$dir/$name.json" || die 65 "$dir/$name.json: not the JSON of a lab run"
    done
}

[ "$table_only" -eq 1 ] || run_all
table
router_table
