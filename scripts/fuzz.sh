#!/usr/bin/env bash
# Run one libFuzzer target for a chosen time, from its seed corpus.
#
#   bash scripts/fuzz.sh addr|icmp|decode|json [SECONDS [address|memory]]
#
# SECONDS defaults to 60; the sanitizer to address (ASan+UBSan); memory is
# MemorySanitizer, for values read before they were set. Builds
# build-fuzz/ (or build-fuzz-msan/) with clang if needed. New inputs go to
# BUILD/fuzz/found_NAME; a crash is written to BUILD/fuzz/crash-*.
# Make every crash a regression test: copy it into fuzz/corpus/NAME and add
# a unit test for the bug it found.
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-}
secs=${2:-60}
san=${3:-address}
case "$san" in
address) dir=build-fuzz ;;
memory) dir=build-fuzz-msan ;;
*)
    echo "fuzz.sh: the sanitizer is address or memory, not '$san'" >&2
    exit 64
    ;;
esac
case "$name" in
addr | icmp | decode | json) ;;
*)
    echo "usage: bash scripts/fuzz.sh addr|icmp|decode|json [SECONDS [address|memory]]" >&2
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
CC=clang cmake -S . -B "$dir" -DSOCKFAM_FUZZ=ON -DSOCKFAM_FUZZ_SANITIZER="$san" \
    -DSOCKFAM_TESTS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" --target "fuzz_$name" >/dev/null
mkdir -p "$dir/fuzz/found_$name"
cd "$dir/fuzz"
exec "./fuzz_$name" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
    "found_$name" "../../fuzz/corpus/$name"
