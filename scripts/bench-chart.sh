#!/usr/bin/env bash
# Draw docs/bench/ratios.png: every ratio of ours over the floor that a
# `sockfam bench --json` run holds, one colour per run (per placement), with
# jq and gnuplot: round trips in one panel (lower is better), rates in the
# other (higher is better), each cell at its median ratio with a bar from
# the lowest to the highest of its repetitions.
#
#   bash scripts/bench-chart.sh                 redraw from docs/bench/{same,split,split-spin}.json
#   bash scripts/bench-chart.sh --run           run those three first (long: many minutes), then draw
#   bash scripts/bench-chart.sh A.json B.json   one colour per JSON file, in that order
set -euo pipefail

prog=bench-chart.sh
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$root/scripts/lib.sh" # die, need, chart_args
runs=(same split split-spin)
max_files=6
max_bytes=$((64 * 1024 * 1024)) # a run with --reps 9 and every histogram is a few MB

usage() {
    cat <<EOF
Usage: bash scripts/bench-chart.sh [--run] [--dir DIR] [-o PNG] [FILE.json...]

Draw each ratio of ours over the floor (the bare socket of the same type, in
the same run) that a \`sockfam bench --json\` run holds: a point at the
cell's ratio (the median over the repetitions) and a bar from the lowest to
the highest repetition, one colour per run: the FILEs given (at most
$max_files), or DIR/same.json, DIR/split.json and DIR/split-spin.json.
Two panels: round trip p50 per family and size (lower is better, the goal
is at most 1.05), and the rates: stream MB/s, datagrams delivered/s,
connections/s, and any other section with a ratio (higher is better, the
goal is at least 0.95). Peer rows (ours over sockperf, iperf3...) and rows
without a floor (the crowd) are not drawn.

Options:
  --run        run the bench three times first, each saved in DIR (a failed
               run leaves the file it would replace as it was):
                 sockfam bench --reps 3 --peers --json --placement same  > same.json
                 ... --placement split                                  > split.json
                 ... --placement split --spin --sections latency        > split-spin.json
               sockfam: \$SOCKFAM, or build/bin/sockfam; as root for the
               icmp rows (raw ICMP), whose cells are skipped otherwise
  --dir DIR    where the runs' JSON is (default: docs/bench)
  -o PNG       the picture to write (default: DIR/ratios.png, so
               docs/bench/ratios.png)
  -h, --help   show this help and exit

Exit status: 0 drawn, 64 bad usage, 65 a file that is not sockfam bench's
JSON or holds no ratio, 66 a file missing, 69 jq, gnuplot or sockfam
missing (apt-get install jq gnuplot-nox), 70 gnuplot failed, 73 a file that
cannot be written, 77 a file that cannot be read; with --run, the bench's
own status when a run fails.
EOF
}

dir="$root/docs/bench" out=
chart_args "$@"
[ -n "$out" ] || out="$dir/ratios.png"
[ ${#files[@]} -le "$max_files" ] || die 64 "at most $max_files runs (colours), not ${#files[@]}"

need jq jq
need gnuplot gnuplot-nox

# A file that may be read: 66 missing, 77 unreadable, 65 too large or not bench's JSON.
check_json() { # check_json FILE HINT
    [ -e "$1" ] || die 66 "no $1${2:+ ($2)}"
    if [ ! -f "$1" ] || [ ! -r "$1" ]; then die 77 "$1: cannot be read"; fi
    [ "$(stat -c %s "$1")" -le "$max_bytes" ] || die 65 "$1: over $((max_bytes >> 20)) MiB, not a bench run"
    jq -es 'length == 1 and (.[0] | .program == "sockfam bench" and (.cells | type == "array"))' \
        "$1" >/dev/null 2>&1 ||
        die 65 "$1: not the JSON of a sockfam bench run"
}

runtmp='' tmp=''
trap 'rm -rf "$tmp" ${runtmp:+"$runtmp"}' EXIT

# One bench run into DIR/NAME.json, through a temporary file beside it: the
# old file stays until the new one is whole and checked.
bench_run() { # bench_run SOCKFAM NAME BENCH-OPTION...
    local sockfam=$1 name=$2 rc=0
    shift 2
    set -- --reps 3 --peers --json "$@"
    runtmp=$(mktemp "$dir/.$name.json.XXXXXX" 2>/dev/null) || die 73 "cannot write in $dir"
    echo "$prog: sockfam bench $* > $dir/$name.json" >&2
    "$sockfam" bench "$@" >"$runtmp" || rc=$?
    # Exit 1 is "some cell failed" (a peer that would not run): the run is whole, its
    # failed cells are in it (ok: false, with why) and the chart leaves them out.
    if [ "$rc" -eq 1 ] && jq -e '.program == "sockfam bench"' "$runtmp" >/dev/null 2>&1; then
        echo "$prog: sockfam bench $*: some cell failed (named above); the run is kept" >&2
        rc=0
    fi
    if [ "$rc" -ne 0 ]; then
        echo "$prog: sockfam bench $* failed (exit $rc); $dir/$name.json left as it was" >&2
        exit "$rc"
    fi
    check_json "$runtmp"
    chmod 0644 "$runtmp"
    mv "$runtmp" "$dir/$name.json" || die 73 "cannot write $dir/$name.json"
    runtmp=
}

if [ "$run" -eq 1 ]; then
    sockfam=${SOCKFAM:-$root/build/bin/sockfam}
    if [ ! -f "$sockfam" ] || [ ! -x "$sockfam" ]; then
        die 69 "no sockfam at $sockfam (build it: cmake --build build; or set SOCKFAM)"
    fi
    mkdir -p "$dir" 2>/dev/null || die 73 "cannot make $dir"
    bench_run "$sockfam" same --placement same
    bench_run "$sockfam" split --placement split
    bench_run "$sockfam" split-spin --placement split --spin --sections latency
fi
if [ ${#files[@]} -eq 0 ]; then
    for r in "${runs[@]}"; do files+=("$dir/$r.json"); done
fi
for f in "${files[@]}"; do
    check_json "$f" "bash scripts/bench-chart.sh --run saves it"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-chart.XXXXXX")

# Every file's cells of ours with a ratio, as one plan: for each panel
# ("latency": the round trips, lower is better; "rates": every other
# section, higher is better) its categories in order (a family's sizes
# together, then the sections side by side), the y range (with 1 and the
# goal always in it), and each run's points [x, ratio, lowest, highest],
# the runs side by side within a category.  Text from the files is cut
# to letters, digits and " .+-_" before it goes near gnuplot's commands.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
plan_jq='
  def clean: tostring | gsub("[^A-Za-z0-9 .+_-]"; "?") | .[0:40];
  def num: if type == "number" then . else null end;
  def rank($order): . as $x | ($order | index([$x])) // 99;
  ["tcp", "udp", "unix-stream", "unix-dgram", "unix-seqpacket", "icmp"] as $fams
  | ["latency", "stream", "dgram", "connect"] as $secs
  | {"stream": "MB/s", "dgram": "delivered/s", "connect": "connections/s"} as $what
  | [to_entries[] | .key as $f | (.value.cells // [])[]
     | select(type == "object" and (.role // "ours") == "ours" and (.ratio | num) != null
              and .ratio > 0)
     | .ratio as $r
     | {f: $f, sec: (.section // "?" | clean), name: (.name // "?" | clean),
        size: (.size | num // 0), r: $r,
        lo: ([(.ratio_min | num // $r), $r] | min), hi: ([(.ratio_max | num // $r), $r] | max)}
     | .panel = (if .sec == "latency" then "latency" else "rates" end)] as $cells
  | [$cells | group_by(.panel)[] | . as $pc
     | ($pc | map({sec, name, size}) | unique
        | sort_by([(.sec | rank($secs)), .sec, (.name | rank($fams)), .name, .size])) as $cats
     | ([$pc[].f] | unique) as $runs
     | ($pc[0].panel) as $panel
     | (if $panel == "latency" then 1.05 else 0.95 end) as $goal
     | ([$pc[].lo, 1, $goal] | min) as $ymin | ([$pc[].hi, 1, $goal] | max) as $ymax
     | ([($ymax - $ymin) * 0.08, 0.02] | max) as $pad
     | {panel: $panel, goal: $goal, ymin: ($ymin - $pad), ymax: ($ymax + $pad),
        cats: [$cats | to_entries[] | .key as $i | .value as $c
               | {label: (if $panel == "latency" then "\($c.name) \($c.size)"
                          else "\($c.name) \($what[$c.sec] // $c.sec)"
                               + (if ([$cats[] | select(.sec == $c.sec and .name == $c.name)]
                                      | length) > 1 then " \($c.size)" else "" end) end),
                  group: (if $panel == "latency" then $c.name else $c.sec end)}],
        runs: [$runs | to_entries[] | .key as $k | .value as $f
               | {f: $f, pts: [$pc[] | select(.f == $f) | . as $p
                               | ($cats | index([{sec: $p.sec, name: $p.name, size: $p.size}]))
                                 as $x
                               | [$x + ($k - (($runs | length) - 1) / 2) * 0.8 / ($runs | length),
                                  .r, .lo, .hi]]}]}]'

# A run's name in the key: its placement and --spin, its repetitions, its file.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
name_jq='
  def clean: tostring | gsub("[^A-Za-z0-9 .+_-]"; "?") | .[0:40];
  "placement \(.placement // "?" | clean)" + (if .spin == true then ", --spin" else "" end)
  + (if (.reps | type) == "number" then ", \(.reps) reps" else "" end) + " (\($file | clean))"'

# What was not drawn: cells of ours not measured, or measured beside a floor
# that was not, and the sections with no floor (so no ratio) at all.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
missing_jq='
  def clean: tostring | gsub("[^A-Za-z0-9 .+_-]"; "?") | .[0:40];
  def rated: (.ratio | type) == "number" and .ratio > 0;
  [.[] | (.cells // [])[] | select(type == "object" and (.role // "ours") == "ours")
   | .section = (.section // "?" | clean) | .name = (.name // "?" | clean)] as $ours
  | ([$ours[] | select(rated) | .section] | unique) as $rated
  | ([$ours[] | .section] | unique - $rated) as $unrated
  | ([$ours[] | select(.ok == false) | "\(.name) \(.section)"] | unique) as $down
  | ([$ours[] | select(.ok != false and (rated | not) and (.section | IN($rated[])))
      | "\(.name) \(.section)"] | unique - $down) as $nofloor
  | [if ($down | length) > 0 then "\($down | join(", ")) (not measured)" else empty end,
     if ($nofloor | length) > 0 then "\($nofloor | join(", ")) (its floor not measured)"
     else empty end,
     if ($unrated | length) > 0 then "\($unrated | join(", ")) (no floor, so no ratio)"
     else empty end] | join("; ") | .[0:300]'

jq -s "$plan_jq" "${files[@]}" >"$tmp/plan.json"
names=()
for i in "${!files[@]}"; do
    f=${files[$i]}
    jq -e --argjson i "$i" '.[] | select(.runs[] | .f == $i)' "$tmp/plan.json" >/dev/null ||
        die 65 "$f: no cell of ours with a ratio to its floor"
    names[i]=$(jq -r --arg file "$(basename "$f")" "$name_jq" "$f")
done
missing=$(jq -rs "$missing_jq" "${files[@]}")

colours=('#1f5fbf' '#e07b00' '#8e3fb0' '#2a9d3a' '#c0392b' '#555555')
points=(7 5 9 11 13 15) # circle, square, triangle, diamond, pentagon, ...

terminal=png le='<=' ge='>='
if gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo; then terminal=pngcairo le='≤' ge='≥'; fi
npanels=$(jq 'length' "$tmp/plan.json")
height=$((npanels == 2 ? 1150 : 700))
footnote="Each point: a cell's ratio, the median over its repetitions of ours over the floor measured moments apart; bar: the lowest to the highest of them."
footnote+="\\nThe floor: the bare socket of the same type between two processes, in the same run and placement. Solid line: ours = floor; dashed: the goal (shaded: within it)."
[ -z "$missing" ] || footnote+="\\nNot drawn: $missing."

# One panel's commands: its frame, its goal, its categories, its runs.
panel() { # panel INDEX TOP BOTTOM
    local p=$1 top=$2 bottom=$3 kind goal ymin ymax title shade ticks plots=() r f
    kind=$(jq -r ".[$p].panel" "$tmp/plan.json")
    goal=$(jq -r ".[$p].goal" "$tmp/plan.json")
    ymin=$(jq -r ".[$p].ymin" "$tmp/plan.json")
    ymax=$(jq -r ".[$p].ymax" "$tmp/plan.json")
    if [ "$kind" = latency ]; then
        title="Round trip p50, ours / floor: lower is better, the goal is $le $goal"
        shade="from graph 0, graph 0 to graph 1, first $goal"
    else
        title="Rates, ours / floor: higher is better, the goal is $ge $goal"
        shade="from graph 0, first $goal to graph 1, graph 1"
    fi
    ticks=$(jq -r ".[$p].cats | to_entries | map(\"\\\"\\(.value.label)\\\" \\(.key)\") | join(\", \")" \
        "$tmp/plan.json")
    echo "set tmargin at screen $top"
    echo "set bmargin at screen $bottom"
    echo "set title \"$title\" font ',13'"
    echo "set xrange [-0.6:$(jq ".[$p].cats | length - 0.4" "$tmp/plan.json")]"
    echo "set yrange [$ymin:$ymax]"
    echo "set xtics ($ticks) rotate by 45 right font ',10' nomirror"
    echo "unset arrow"
    echo "unset object"
    echo "set object 1 rectangle $shade fc rgb '#e6f2e6' fs solid 1.0 noborder behind"
    echo "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 lc rgb '#444444' front"
    echo "set arrow 2 from graph 0, first $goal to graph 1, first $goal nohead lw 1.5 dt 2 lc rgb '#2a7a2a' front"
    # a line between groups: the families (round trips), the sections (rates)
    jq -r ".[$p].cats as \$c | range(1; \$c | length) | select(\$c[.].group != \$c[. - 1].group)
           | \"set arrow from \(. - 0.5), graph 0 to \(. - 0.5), graph 1 nohead dt 3 lc rgb '#999999'\"" \
        "$tmp/plan.json"
    for r in $(jq ".[$p].runs | keys[]" "$tmp/plan.json"); do
        f=$(jq ".[$p].runs[$r].f" "$tmp/plan.json")
        jq -r ".[$p].runs[$r].pts[] | @tsv" "$tmp/plan.json" >"$tmp/$p-$r.dat"
        plots+=("'$tmp/$p-$r.dat' using 1:2:3:4 with yerrorbars pt ${points[$f]} ps 1.3 lw 1.5 lc rgb '${colours[$f]}' notitle")
    done
    (IFS=,; echo "plot ${plots[*]}")
}

# The runs' key, once for both panels, under the title: side by side, on a
# second row when they do not fit (about 8 pixels a character).
legend() {
    local i x=100 row=0 w
    for i in "${!files[@]}"; do
        w=$((${#names[$i]} * 8 + 30))
        if [ "$x" -gt 100 ] && [ $((x + w)) -gt 1380 ]; then x=100 row=$((row + 1)); fi
        echo "set label $((i + 1)) '${names[$i]}' at screen $(awk -v x="$x" 'BEGIN { print x / 1400 }'), screen $(awk -v r="$row" -v h="$height" 'BEGIN { print 1 - (60 + 22 * r) / h }') left font ',11' point pt ${points[$i]} ps 1.3 lc rgb '${colours[$i]}' offset 1.5,0"
        x=$((x + w + 40))
    done
}

{
    if [ "$terminal" = pngcairo ]; then
        echo "set terminal pngcairo noenhanced size 1400,$height font 'sans,11' linewidth 1.2"
    else
        echo "set terminal png noenhanced size 1400,$height"
    fi
    echo "set output '$tmp/chart.png'"
    echo "set multiplot title 'sockfam bench: ours over the kernel floor of the same socket type, per run (placement)' font ',14'"
    echo "set lmargin at screen 0.07"
    echo "set rmargin at screen 0.98"
    echo "set ylabel 'ours / floor'"
    echo "set grid ytics lc rgb '#dddddd'"
    echo "set bars small"
    echo "set ytics nomirror"
    echo "unset key"
    legend
    echo "set label 100 \"$footnote\" at screen 0.5, screen 0.045 center font ',10' tc rgb '#333333'"
    if [ "$npanels" -eq 2 ]; then
        panel 0 0.86 0.57
        echo "unset label"
        panel 1 0.38 0.20
    else
        panel 0 0.80 0.33
    fi
    echo "unset multiplot"
} >"$tmp/chart.gp"
gnuplot "$tmp/chart.gp" 2>"$tmp/gnuplot.err" ||
    die 70 "gnuplot failed: $(head -n 1 "$tmp/gnuplot.err")"
mkdir -p "$(dirname "$out")" 2>/dev/null || die 73 "cannot make $(dirname "$out")"
mv "$tmp/chart.png" "$out" 2>/dev/null || die 73 "cannot write $out"
echo "$prog: wrote $out (${#files[@]} runs, $npanels panels, $terminal)" >&2
