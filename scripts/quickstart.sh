#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (as root), build sockfam, then either run
# the demo or the whole test suite.  The README's Quick start and .ci/run
# call this script; it installs only the Debian packages that are missing.
#
#   bash scripts/quickstart.sh compare  build and run `sockfam compare` (every family, with the wire)
#   bash scripts/quickstart.sh test     build (normal and ASan+UBSan) and run every test,
#                                       then build, lint, install and check the .deb
#   bash scripts/quickstart.sh demo     build and run the tutorial's TCP echo demo
set -euo pipefail
cd "$(dirname "$0")/.."

# tcpdump and tshark read back the .pcap files the suite writes (tests/wire);
# clang builds the libFuzzer targets (fuzz/); jansson writes every JSON output;
# nftables and ethtool build the network lab's router and links (common/lab/netlab);
# jq reads sockfam's JSON in scripts/lab-runs.sh, scripts/latency-chart.sh and
# scripts/bench-chart.sh, and gnuplot-nox draws docs/latency-under-loss.png
# (scripts/latency-chart.sh) and docs/bench/ratios.png (scripts/bench-chart.sh); iputils-ping is
# the ping that icmp-ping's options are tested beside (tests/pairs/test_raw_iputils.c) and the
# bench's ping row; dpkg-dev, debhelper and lintian build and lint the .deb, man-db answers its
# `man -w`, libcap2-bin is its postinst's setcap (scripts/deb-check.sh), and
# bash-completion loads the installed completion (test_install, deb-check).
# mandoc lints the man pages (scripts/check-man.sh, test check_man), whose SEE ALSO
# references must resolve: manpages and manpages-dev (socket(2), tcp(7), ...),
# netcat-openbsd (nc(1)), iputils-ping (ping(8)) and libcap2-bin (setcap(8)).
# strace counts the calls each program makes per message (scripts/bench-syscalls.sh).
packages=(build-essential cmake pkg-config libpcap-dev libcriterion-dev libjansson-dev iproute2
    nftables ethtool tcpdump tshark clang jq gnuplot-nox iputils-ping dpkg-dev debhelper lintian
    man-db libcap2-bin bash-completion mandoc manpages manpages-dev netcat-openbsd strace)

install_missing() {
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "quickstart: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "quickstart: missing packages and not root; run as root or install: ${missing[*]}" >&2
        exit 77
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake options...]: quiet unless it fails
    local dir=$1
    shift
    echo "quickstart: building in $dir/"
    if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
        cmake --build "$dir" -j"$(nproc)"; } >"$dir.log" 2>&1; then
        cat "$dir.log" >&2
        echo "quickstart: the build failed (log above, also in $dir.log)" >&2
        exit 1
    fi
}

run_tests() { # run_tests DIR
    (cd "$1" && ctest --output-on-failure -j2)
    no_capture_skipped "$1"
}

# As root every capture test must run, and every test of icmp-ping beside iputils ping
# (raw_iputils): a skipped one (Criterion prints "[SKIP] suite::test: why" at
# --verbose=1) fails the run, whatever ctest said.
no_capture_skipped() { # no_capture_skipped DIR
    local skipped
    [ "$(id -u)" -eq 0 ] || return 0
    skipped=$(grep -E '^\[SKIP\] ([a-z0-9_]+_wire|raw|raw_iputils|udp_spoof|priv|spawn)::' "$1/Testing/Temporary/LastTest.log" || true)
    if [ -n "$skipped" ]; then
        echo "$skipped" >&2
        echo "quickstart: capture tests were skipped although running as root (above)" >&2
        exit 1
    fi
}

tmp=
spid=
cleanup() {
    if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; fi
    if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

demo() {
    local line port
    tmp=$(mktemp -d)
    mkfifo "$tmp/server.err"
    echo "\$ build/bin/tcp-server --once -p 0 &"
    build/bin/tcp-server --once -p 0 2>"$tmp/server.err" &
    spid=$!
    exec 3<"$tmp/server.err"
    read -r -t 10 -u 3 line || { echo "quickstart: tcp-server did not start" >&2; exit 1; }
    echo "$line"
    port=${line##*:}
    echo "\$ build/bin/tcp-client localhost:$port"
    build/bin/tcp-client "localhost:$port"
    wait "$spid"
    spid=
    cat <&3
}

case "${1:-}" in
compare)
    install_missing
    build build
    echo "\$ build/bin/sockfam compare"
    build/bin/sockfam compare
    ;;
demo)
    install_missing
    build build
    demo
    ;;
test)
    install_missing
    build build
    run_tests build
    echo "quickstart: the same suite under AddressSanitizer and UndefinedBehaviorSanitizer"
    build build-sanitize -DSOCKFAM_SANITIZE=ON
    run_tests build-sanitize
    if command -v dpkg-buildpackage >/dev/null; then
        echo "quickstart: the Debian package: built from a copy, linted, installed, checked, purged"
        bash scripts/deb-check.sh
    fi
    echo "quickstart: each libFuzzer target for a short run from its seed corpus"
    CC=clang build build-fuzz -DSOCKFAM_FUZZ=ON -DSOCKFAM_TESTS=OFF
    (cd build-fuzz && ctest --output-on-failure -L fuzz -j2)
    echo "quickstart: the same targets under MemorySanitizer (values read before they were set)"
    CC=clang build build-fuzz-msan -DSOCKFAM_FUZZ=ON -DSOCKFAM_FUZZ_SANITIZER=memory \
        -DSOCKFAM_TESTS=OFF
    (cd build-fuzz-msan && ctest --output-on-failure -L fuzz -j2)
    ;;
*)
    echo "usage: bash scripts/quickstart.sh compare|test|demo" >&2
    exit 64
    ;;
esac
