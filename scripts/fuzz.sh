#!/usr/bin/env bash
# Run one libFuzzer target for a chosen time, from its seed corpus.
#
#   bash scripts/fuzz.sh addr|icmp|decode|json [SECONDS]     (default 60)
#
# Builds build-fuzz/ with clang if needed. New inputs go to
# build-fuzz/fuzz/found_NAME; a crash is written to build-fuzz/fuzz/crash-*.
# Make every crash a regression test: copy it into fuzz/corpus/NAME and add
# a unit test for the bug it found.
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-}
secs=${2:-60}
case "$name" in
addr | icmp | decode | json) ;;
*)
    echo "usage: bash scripts/fuzz.sh addr|icmp|decode|json [SECONDS]" >&2
    exit 64
    ;;
esac
[[ "$secs" =~ ^[1-9][0-9]{0,5}$ ]] || {
    echo "fuzz.sh: SECONDS must be 1-999999, not '$secs'" >&2
    exit 64
}
command -v clang >/dev/null || {
    echo "fuzz.sh: clang is needed (apt-get install clang)" >&2
    exit 69
}
CC=clang cmake -S . -B build-fuzz -DSOCKFAM_FUZZ=ON -DSOCKFAM_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "fuzz_$name" >/dev/null
mkdir -p "build-fuzz/fuzz/found_$name"
cd build-fuzz/fuzz
exec "./fuzz_$name" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
    "found_$name" "../../fuzz/corpus/$name"
