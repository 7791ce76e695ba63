#!/usr/bin/env bash
# Draw docs/latency-under-loss.png: each family's round trips as a CDF, one
# panel per `sockfam compare --link lab --json` run (by default the lossless,
# 1% and 5% loss runs that scripts/lab-runs.sh saved in docs/lab), with jq
# and gnuplot.
#
#   bash scripts/latency-chart.sh                 redraw from docs/lab/{lan,loss-1pct,loss-5pct}.json
#   bash scripts/latency-chart.sh --run           run those three first (root: the lab), then draw
#   bash scripts/latency-chart.sh A.json B.json   one panel per JSON file, in that order
set -euo pipefail

prog=latency-chart.sh
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$root/scripts/lib.sh" # die, need, chart_args
runs=(lan loss-1pct loss-5pct)

usage() {
    cat <<EOF
Usage: bash scripts/latency-chart.sh [--run] [--dir DIR] [-o PNG] [FILE.json...]

Draw the round trips of each family as a CDF (x: round trip in ms, log scale;
y: share of the messages sent), one panel per \`sockfam compare --json\` run:
the FILEs given, or DIR/lan.json, DIR/loss-1pct.json and DIR/loss-5pct.json
(DIR: docs/lab, as scripts/lab-runs.sh saves them).

Options:
  --run        run those three lab conditions first (bash scripts/lab-runs.sh
               --only lan,loss-1pct,loss-5pct DIR: root, about 30 s), then draw
  --dir DIR    where the runs' JSON is (default: docs/lab)
  -o PNG       the picture to write (default: docs/latency-under-loss.png)
  -h, --help   show this help and exit

A message that was never answered never completes: its family's line stops
below 100%. The JSON holds each family's round trips at 1, 5, 10, 25, 50, 75,
90, 95, 99, 99.9 and 100%, so each line is a staircase through those points
(each step's low side: that share took at most that long).

Exit status: 0 drawn, 64 bad usage, 65 a file that is not sockfam compare's
JSON, 66 a file missing, 69 jq or gnuplot missing (apt-get install jq
gnuplot-nox), 77 --run without root; with --run, lab-runs.sh's own status
when a run fails.
EOF
}

dir="$root/docs/lab" out="$root/docs/latency-under-loss.png"
chart_args "$@"
[ ${#files[@]} -le 4 ] || die 64 "at most 4 runs (panels), not ${#files[@]}"

need jq jq
need gnuplot gnuplot-nox

if [ "$run" -eq 1 ]; then
    [ "$(id -u)" -eq 0 ] || die 77 "--run needs root (the lab's network namespaces)"
    rc=0
    bash "$root/scripts/lab-runs.sh" --only "$(IFS=,; echo "${runs[*]}")" "$dir" >/dev/null || rc=$?
    [ "$rc" -eq 0 ] || exit "$rc" # lab-runs.sh said why, in one line
fi
if [ ${#files[@]} -eq 0 ]; then
    for r in "${runs[@]}"; do files+=("$dir/$r.json"); done
fi
for f in "${files[@]}"; do
    [ -r "$f" ] || die 66 "no $f (bash scripts/lab-runs.sh saves it; or --run)"
    jq -e '.program == "sockfam compare" and (.families | length > 0)' "$f" >/dev/null 2>&1 ||
        die 65 "$f: not the JSON of a sockfam compare run"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/latency-chart.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

xmin=0.01 xmax=3000 # ms: below the fastest loopback-free round trip, past two doubled timeouts

# Each family's staircase, in ms and percent of the messages sent: it starts
# at 0 at the fastest round trip, climbs through every point of the CDF and
# the share within 100 ms (n - over_100ms: an exact point where the CDF's
# are far apart), and runs level to the right edge (what never came back
# never climbs further).
# shellcheck disable=SC2016 # a jq program: its $names are jq's
steps_jq='
  .families[] | select(.family == $fam and .status == "ok" and .rtt_us != null
                       and .rtt_us.n > 0 and .sent > 0 and ((.rtt_us.cdf // []) | length) > 0)
  | (.rtt_us.n / .sent) as $share
  | (.rtt_us.cdf | map([(.[1] / 1000), .[0]])) as $cdf
  | (if .rtt_us.over_100ms == null then []
     else [[100, ((.rtt_us.n - .rtt_us.over_100ms) * 100 / .rtt_us.n)]] end) as $at100
  | ($cdf + $at100 | sort_by(.[0], .[1]) | map([.[0], .[1] * $share])) as $pts
  | (if $only_points == "1" then $pts
     else [[$pts[0][0], 0]] + $pts + [[($xmax | tonumber), $pts[-1][1]]] end)[]
  | "\(.[0]) \(.[1])"'

# The panel's title, from the run's own link and count.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
title_jq='
  (.link // {}) as $l
  | (if $l.kind != "lab" then "loopback"
     elif $l.loss == "random" then "\($l.loss_pct)% loss each way"
     elif $l.loss == "every" then "every \($l.loss_every)th packet lost"
     else "no loss" end)
  + (if ($l.narrow_hop // 0) > 0 then ", a \($l.narrow_hop) hop" else "" end)
  + (if ($l.rate // "") != "" then ", \($l.rate)" else "" end)
  + "\\n\(.count) messages of \(.size) bytes per family, all at once"'

# A line's key: the family, the share answered, the share over 100 ms.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
key_jq='
  def pct: (. * 1000 | round) / 10;
  .families[] | select(.family == $fam)
  | "\(.family): \(.answered / .sent | pct)% answered, \(.rtt_us.over_100ms / .sent | pct)% > 100 ms"'

# The families' lines: colour, dash, name (the same in every panel).
declare -A colour=([tcp]='#1f5fbf' [udp]='#e07b00' [icmp]='#2a9d3a' [mptcp]='#8e3fb0')
declare -A dash=([tcp]=1 [udp]=1 [icmp]=1 [mptcp]=2)
fams=(tcp udp icmp mptcp)

# What the picture cannot show, said under it: families with no CDF in a run's JSON.
nocdf=$(jq -rs '[.[].families[] | select(.status == "ok" and ((.rtt_us.cdf // []) | length) == 0)
                 | .family] | unique | join(", ")' "${files[@]}")
footnote="Each line climbs through the round trips at 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9 and 100%, and the share within 100 ms (dots); between dots it shows the least it can be. What was never answered never arrives: the line stays below 100%."
[ -z "$nocdf" ] || footnote+="\\nNot drawn: $nocdf (no round-trip CDF in its run's JSON)."

terminal=png
if gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo; then terminal=pngcairo; fi
n=${#files[@]}
width=$((520 * n + 80))
{
    if [ "$terminal" = pngcairo ]; then
        echo "set terminal pngcairo size $width,640 font 'sans,11' linewidth 1.5"
    else
        echo "set terminal png size $width,640"
    fi
    echo "set output '$tmp/chart.png'"
    echo "set multiplot layout 1,$n margins 0.06,0.98,0.18,0.86 spacing 0.07,0.1 title 'Round trips in the lab (client, router, server; veth, MTU 1500), every family at once' font ',13'"
    echo "set logscale x 10"
    echo "set xrange [$xmin:$xmax]"
    echo "set yrange [0:100]"
    echo "set format x '%g'"
    echo "set xtics ('0.01' 0.01, '0.1' 0.1, '1' 1, '10' 10, '100' 100, '1000' 1000)"
    echo "set ytics 10"
    echo "set grid xtics ytics lc rgb '#d8d8d8'"
    echo "set xlabel 'round trip (ms, log scale)'"
    echo "set ylabel 'messages answered within x (% of those sent)'"
    echo "set key bottom right box opaque"
    echo "set arrow 1 from 200, graph 0 to 200, graph 1 nohead dt 3 lc rgb '#555555'"
    echo "set label 1 'TCP minimum RTO, 200 ms' at 140, graph 0.35 rotate by 90 font ',9' tc rgb '#555555'"
    echo "set label 2 \"$footnote\" at screen 0.5, screen 0.06 center font ',10' tc rgb '#333333'"
    i=0
    for f in "${files[@]}"; do
        i=$((i + 1))
        t=$(jq -r "$title_jq" "$f")
        echo "set title \"$t\""
        plots=()
        for fam in "${fams[@]}"; do
            for p in 0 1; do
                jq -r --arg fam "$fam" --arg xmax "$xmax" --arg only_points "$p" "$steps_jq" "$f" \
                    >"$tmp/$i-$fam.$p"
            done
            [ -s "$tmp/$i-$fam.0" ] || continue
            key=$(jq -r --arg fam "$fam" "$key_jq" "$f")
            plots+=("'$tmp/$i-$fam.0' using 1:2 with steps lw 2 dt ${dash[$fam]} lc rgb '${colour[$fam]}' title '$key'")
            plots+=("'$tmp/$i-$fam.1' using 1:2 with points pt 7 ps 0.5 lc rgb '${colour[$fam]}' notitle")
        done
        [ ${#plots[@]} -gt 0 ] || die 65 "$f: no family with round trips to draw"
        (IFS=,; echo "plot ${plots[*]}")
    done
    echo "unset multiplot"
} >"$tmp/chart.gp"
gnuplot "$tmp/chart.gp" 2>"$tmp/gnuplot.err" ||
    die 70 "gnuplot failed: $(head -n 1 "$tmp/gnuplot.err")"
mkdir -p "$(dirname "$out")"
mv "$tmp/chart.png" "$out"
echo "$prog: wrote $out ($n panels, $terminal)" >&2
