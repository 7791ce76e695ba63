# lib.sh: what the project's scripts share, sourced (not run) after each sets
# prog, its name for the messages: a one-line error with its exit code, a
# tool's presence, and the chart scripts' arguments.
#
#   prog=NAME root=TOP; . "$root/scripts/lib.sh"
# shellcheck shell=bash disable=SC2154 # prog and usage are the sourcing script's

die() { # die CODE MESSAGE: one line on stderr, exit CODE
    echo "$prog: $2" >&2
    exit "$1"
}

need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 || die 69 "$1 is needed: apt-get install $2"
}

# chart_args ARG...: a chart script's [--run] [--dir DIR] [-o PNG] [FILE.json...] into run,
# dir, out and files; dir and out keep the caller's defaults when not given (out may stay
# empty, for the caller to put in dir).  -h prints the caller's usage and exits.
chart_args() {
    run=0
    files=()
    while [ $# -gt 0 ]; do
        case "$1" in
        -h | --help) usage; exit 0 ;;
        --run) run=1 ;;
        --dir) [ $# -ge 2 ] || die 64 "--dir needs a directory"; dir=$2; shift ;;
        --dir=*) dir=${1#--dir=} ;;
        -o) [ $# -ge 2 ] || die 64 "-o needs a file name"; out=$2; shift ;;
        --) shift; files+=("$@"); break ;;
        -*) die 64 "unknown option '$1' (--help lists them)" ;;
        *) files+=("$1") ;;
        esac
        shift
    done
    [ -n "$dir" ] || die 64 "--dir needs a directory"
    [ "$run" -eq 0 ] || [ ${#files[@]} -eq 0 ] || die 64 "--run draws its own runs: give no FILE"
    [ -z "$out" ] || [[ "$out" == *.png ]] || die 64 "-o names a .png file, not '$out'"
}
