#!/usr/bin/env bash
# The bash completion (completion/sockfam), loaded as bash-completion
# loads it: from completions/NAME, here the build tree's copy.  Each case
# sets COMP_WORDS and COMP_CWORD as bash does, calls the function and
# compares COMPREPLY; then every value and every flag it offers, for every
# program, is given back to that program, which must accept it: what the
# completion reads from --help is what the program takes.
#
#   bash tests/scripts/test_completion.sh BIN_DIR COMPLETIONS_DIR
#
# Exit 0 when every case holds, 1 with a line per failure.
set -uo pipefail
bin=${1:?usage: test_completion.sh BIN_DIR COMPLETIONS_DIR}
comps=${2:?usage: test_completion.sh BIN_DIR COMPLETIONS_DIR}
export PATH="$bin:$PATH"
programs=(tcp-server tcp-client udp-server udp-client unix-server unix-client icmp-ping
    icmp-echod sockfam)
failed=0
fail() {
    echo "test_completion: $*"
    failed=1
}

# Loaded lazily under one name, the file registers all nine.
# shellcheck source=/dev/null
source "$comps/icmp-ping" || fail "sourcing $comps/icmp-ping failed"
for p in "${programs[@]}"; do
    [[ -e $comps/$p ]] || fail "no $comps/$p"
    [[ $(complete -p "$p" 2>/dev/null) == *"-F _sockfam_complete"* ]] ||
        fail "$p: no completion registered"
done

# complete WORD... : COMPREPLY for the last word, sorted, one line.
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _sockfam_complete 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

# expect "WANTED WORDS" WORD...: exactly these completions.
expect() {
    local want got
    # shellcheck disable=SC2086 # the wanted words, one argument each
    want=$(sorted $1)
    shift
    got=$(complete_words "$@")
    [[ $got == "$want" ]] || fail "'$*<TAB>': got '$got', expected '$want'"
}

# expect_has "WORDS" WORD...: these among the completions.
expect_has() {
    local w got
    got=" $(complete_words "${@:2}") "
    for w in $1; do
        [[ $got == *" $w "* ]] || fail "'${*:2}<TAB>': '$w' missing from '$got'"
    done
}

lessons=$(sockfam show | awk '/^  [a-z]/ { print $1 }')
[[ -n $lessons ]] || fail "sockfam show listed no lesson"

# The cases of the issue, then the other forms of the same questions.
expect "--mode" tcp-client --mo
expect "welcome echo mirror discard" tcp-client --mode ""
expect "welcome echo mirror discard" tcp-client -m ""
expect "welcome echo mirror discard" tcp-client --mode = ""
expect "mirror" tcp-client --mode = mi
expect "compare bench ladder show help" sockfam ""
expect "$lessons" sockfam show ""
expect "$lessons" sockfam show --json ""
expect "stream dgram seqpacket" unix-server --type ""
expect "stream dgram seqpacket" unix-client -t ""
expect "compare bench ladder show" sockfam help ""
expect "-h --help -V --version" sockfam -
expect "echo mirror" sockfam compare --mode ""
expect "lo lab" sockfam compare --link ""
expect "up down both" sockfam compare --loss-dir ""
expect "tcp udp unix-stream unix-dgram unix-seqpacket icmp mptcp unix" sockfam compare --families ""
expect "tcp,udp tcp,unix tcp,unix-dgram tcp,unix-seqpacket tcp,unix-stream" sockfam compare --families tcp,u
expect "tcp udp unix-stream unix-dgram unix-seqpacket icmp unix" sockfam bench --families ""
expect "latency stream dgram connect crowd models" sockfam bench --sections ""
expect "same split none" sockfam bench --placement ""
expect "--sections --sizes --spin --stream-mib" sockfam bench --s
expect "" sockfam compare --count ""
expect "root" icmp-ping -Z roo
expect "localhost" tcp-client -c 5 localh
expect "localhost" tcp-client --mode = echo localh
expect "" tcp-client localhost ""
expect_has "-c -i -s -W -l -q -Z --json -h --help -V --version" icmp-ping -
expect_has "--once --backlog --timeout --version" tcp-server --
expect_has "--json --pcap --verbose --version" sockfam show --
expect_has "--list --flow" sockfam ladder --
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/run.pcap"
expect "$tmp/run.pcap" sockfam ladder --flow 3 "$tmp/ru"
expect "$tmp/run.pcap" sockfam compare --pcap "$tmp/ru"
expect "$tmp/run.pcap" unix-client "$tmp/ru"

# Every option a program's --help lists is offered, and the program takes
# each flag and each offered value (OPTION VALUE --help exits 0 once the
# value passed its check; an unknown option or a bad value exits 64).
accepts() { # accepts WORD...: the command line parses
    "$@" --help >/dev/null 2>&1 || fail "'$* --help' exits $?: offered but refused"
}
for p in "${programs[@]}"; do
    cmds=("$p")
    [[ $p == sockfam ]] && cmds=("sockfam compare" "sockfam bench" "sockfam show" "sockfam ladder")
    for c in "${cmds[@]}"; do
        read -r -a cw <<<"$c"
        listed=$("${cw[@]}" --help | grep -cE '^  -[A-Za-z0-9]|^      --[a-z0-9]')
        rows=0
        while IFS=$'\t' read -r short long arg _; do
            rows=$((rows + 1))
            for o in $short $long; do
                [[ $o == - ]] && continue
                expect_has "$o" "${cw[@]}" "${o:0:2}"
                case $arg in
                -) accepts "${cw[@]}" "$o" ;;
                FILE | PATH | USER | IFACE | HOST | ADDR) ;; # the system's names: nothing to check
                *) for v in $(complete_words "${cw[@]}" "$o" ""); do accepts "${cw[@]}" "$o" "$v"; done ;;
                esac
            done
        done < <("${cw[@]}" --help | _sockfam_parse)
        ((rows == listed)) || fail "$c: $rows options read from --help, which lists $listed"
    done
done
# ... and a value it would not take is refused, so the check above can fail.
tcp-client --mode bogus --help >/dev/null 2>&1
[[ $? -eq 64 ]] || fail "tcp-client --mode bogus --help: expected 64"
exit $failed
