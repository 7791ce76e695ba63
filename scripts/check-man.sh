#!/usr/bin/env bash
# check-man.sh BIN_DIR [MAN_DIR]: the manual pages in man/ checked against
# mandoc and against the programs they describe.  Run by ctest (check_man).
#
# (a) `mandoc -Tlint` at its default level (style and up) reports nothing on
#     any page.  Two kinds of line are about this machine, not the page, and
#     are set aside: Debian indexes its manuals with man-db, so mandoc has no
#     mandoc.db and says "outdated mandoc.db lacks NAME(SEC)" of every page a
#     cross-reference found; and a cross-reference to another page of this
#     suite (one in MAN_DIR) is "not found" until the suite is installed.
#     Every other cross-reference must resolve here: the packages that hold
#     them are in scripts/quickstart.sh.
# (b) The options a program's --help lists (its "Options:" lines, short -x
#     and long --xyz forms) are exactly the flags of the .It Fl entries in
#     the DESCRIPTION of its page, both ways, and each entry has one of its
#     forms in the SYNOPSIS, which has no flag the list lacks.  For sockfam,
#     the same per command: `sockfam help CMD` against the option list of
#     the `.Ss CMD` subsection of sockfam.1's DESCRIPTION and the SYNOPSIS
#     line that starts `.Nm` `.Cm CMD`; its own options (none yet) against
#     the entries before the first .Ss.  A failure names each option missing
#     and the side it is missing from.
set -uo pipefail

bin=${1:?usage: check-man.sh BIN_DIR [MAN_DIR]}
man=${2:-$(cd "$(dirname "$0")/.." && pwd)/man}
programs=(tcp-server tcp-client udp-server udp-client unix-server unix-client icmp-ping icmp-echod)
failures=0

fail() {
    echo "check-man: $*" >&2
    failures=$((failures + 1))
}

# ---- (a) mandoc -Tlint ----

# Lint lines of one page that are about the page: the machine's are dropped (above).
# mandoc writes its lint to stdout and the mandoc.db lines to stderr: read
# apart, so that a buffered stdout cannot be cut by a line of stderr.
lint_page() { # lint_page FILE
    local line name sec err
    err=$(mktemp)
    { mandoc -Tlint "$1" 2>"$err"; cat "$err"; } | while IFS= read -r line; do
        case $line in
        "mandoc: outdated mandoc.db lacks "*) continue ;;
        *"STYLE: referenced manual not found: Xr "*)
            read -r name sec _ <<<"${line##*: Xr }"
            [ -e "$man/$name.$sec" ] && continue
            ;;
        esac
        printf '%s\n' "$line"
    done
    rm -f "$err"
}

check_lint() {
    local page out n=0
    for page in "$man"/*.[1-9]; do
        [ -e "$page" ] || continue
        n=$((n + 1))
        out=$(lint_page "$page")
        [ -z "$out" ] || fail "mandoc -Tlint reports on $(basename "$page"):"$'\n'"$out"
    done
    [ "$n" -gt 0 ] || fail "no manual pages in $man"
}

# ---- (b) options: --help against the page ----

# The options of a --help text on stdin, one a line: "-x" and "--xyz".
help_options() {
    awk '
        /^Options:$/ { on = 1; next }
        on && /^$/ { on = 0 }
        on && /^  -[A-Za-z0-9]/ { print substr($0, 3, 2) }
        on && (/^  -[A-Za-z0-9], --/ || /^      --/) {
            if (match(substr($0, 7), /^--[A-Za-z0-9][A-Za-z0-9-]*/))
                print substr($0, 7, RLENGTH)
        }' | sort -u
}

# The commands `sockfam --help` lists, one a line.
help_commands() {
    awk '/^Commands:$/ { on = 1; next } on && /^$/ { on = 0 }
         on && /^  [a-z]/ { print $1 }'
}

# A page's flags, one a line: "ITEM KEY FORM..." for each .It Fl entry of
# DESCRIPTION, "SYN KEY FORM" for each flag of SYNOPSIS.  KEY is the command
# (sockfam.1: the .Ss in DESCRIPTION, the .Cm after .Nm in SYNOPSIS), "-"
# for the program itself.  Fl's arguments run to the next macro or
# delimiter; in SYNOPSIS "Fl 46hq" is four flags.
page_flags() { # page_flags FILE
    awk '
        function flags(line, out,    n, t, i, j, on) {
            gsub(/\\-/, "-", line)
            gsub(/\\&/, "", line)
            sub(/^\./, "", line) # a line may start with the macro: ".Fl h | Fl V"
            n = split(line, t, /[ \t]+/)
            out = ""
            for (i = 1; i <= n; i++) {
                if (t[i] == "Fl") { on = 1; continue }
                if (!on) continue
                if (t[i] ~ /^[A-Z][a-z][a-z]?$/ || t[i] ~ /^[][,;:.()|!?]+$/ || t[i] == "") { on = 0; continue }
                if (t[i] ~ /^-/) { out = out " -" t[i]; continue }
                for (j = 1; j <= length(t[i]); j++)
                    out = out " -" substr(t[i], j, 1)
            }
            return out
        }
        /^\.Sh / { sec = substr($0, 5); key = "-"; cmd = 0; next }
        sec == "SYNOPSIS" && /^\.Nm/ { key = "-"; cmd = 1; next }
        sec == "SYNOPSIS" && cmd && /^\.Cm [a-z]/ { key = $2; cmd = 0; next }
        sec == "SYNOPSIS" { cmd = 0; f = flags($0); n = split(f, a, " ")
                            for (i = 1; i <= n; i++) print "SYN", key, a[i]; next }
        sec == "DESCRIPTION" && /^\.Ss / { key = $2; next }
        sec == "DESCRIPTION" && /^\.It Fl / { print "ITEM", key flags($0) }
    ' "$1"
}

# Lines of A that are not in B (both sorted, one a line), on one line.
minus() { comm -23 <(printf '%s\n' "$1" | sed '/^$/d') <(printf '%s\n' "$2" | sed '/^$/d') | xargs; }

# compare_options WHAT HELP_CMD LIST SYN KEY HELP_OPTIONS FLAGS: the options
# HELP_CMD printed against the .It Fl entries of LIST (KEY in FLAGS), both
# ways, and every entry against SYN.
compare_options() {
    local what=$1 helpcmd=$2 list=$3 synwhere=$4 key=$5 help=$6 flags=$7 listed syn d item f found
    listed=$(awk -v k="$key" '$1 == "ITEM" && $2 == k { for (i = 3; i <= NF; i++) print $i }' <<<"$flags" | sort -u)
    syn=$(awk -v k="$key" '$1 == "SYN" && $2 == k { print $3 }' <<<"$flags" | sort -u)
    d=$(minus "$help" "$listed")
    [ -z "$d" ] || fail "$what: in '$helpcmd', not in $list (add an .It Fl entry each): $d"
    d=$(minus "$listed" "$help")
    [ -z "$d" ] || fail "$what: in $list, not in '$helpcmd' (remove the entry, or restore the option): $d"
    while IFS= read -r item; do
        [ -n "$item" ] || continue
        found=0
        for f in $item; do grep -qxF -- "$f" <<<"$syn" && found=1; done
        [ "$found" -eq 1 ] || fail "$what: $synwhere lacks $(tr ' ' '/' <<<"$item") (add an .Op Fl)"
    done < <(awk -v k="$key" '$1 == "ITEM" && $2 == k { $1 = $2 = ""; sub(/^ +/, ""); print }' <<<"$flags")
    d=$(minus "$syn" "$listed")
    [ -z "$d" ] || fail "$what: $synwhere has flags that $list lacks: $d"
}

# The one page of program $1 (man/NAME.SECTION) into PAGE; 1 if none.
PAGE=
find_page() {
    local pages=("$man/$1".[1-9])
    PAGE=${pages[0]}
    if [ ! -e "$PAGE" ]; then
        fail "$1: no manual page $man/$1.SECTION"
        return 1
    fi
    [ ${#pages[@]} -eq 1 ] || fail "$1: more than one page: ${pages[*]}"
}

# The help text of `ARGV...` (named WHAT in messages) into HELP; 1 if it failed.
HELP=
run_help() { # run_help WHAT ARGV...
    local what=$1
    shift
    if ! HELP=$("$@" 2>&1); then
        fail "$what: '$*' failed: $HELP"
        return 1
    fi
}

check_program() {
    local p=$1
    find_page "$p" || return 0
    run_help "$p" "$bin/$p" --help || return 0
    local page
    page=$(basename "$PAGE")
    compare_options "$p" "$p --help" "$page's option list (DESCRIPTION)" "$page's SYNOPSIS" - \
        "$(help_options <<<"$HELP")" "$(page_flags "$PAGE")"
}

check_sockfam() {
    local name flags cmds c
    find_page sockfam || return 0
    name=$(basename "$PAGE")
    run_help sockfam "$bin/sockfam" --help || return 0
    flags=$(page_flags "$PAGE")
    compare_options sockfam "sockfam --help" "$name's option list before its first .Ss" \
        "$name's SYNOPSIS line '.Nm' without a .Cm" - "$(help_options <<<"$HELP")" "$flags"
    cmds=$(help_commands <<<"$HELP")
    [ -n "$cmds" ] || fail "sockfam --help lists no commands"
    for c in $cmds; do
        grep -q "^\\.Ss $c\$" "$PAGE" ||
            fail "sockfam $c: listed by sockfam --help, $name has no '.Ss $c' in DESCRIPTION"
        run_help "sockfam $c" "$bin/sockfam" help "$c" || continue
        compare_options "sockfam $c" "sockfam help $c" "$name's option list in '.Ss $c'" \
            "$name's SYNOPSIS line '.Nm .Cm $c'" "$c" "$(help_options <<<"$HELP")" "$flags"
    done
    while read -r c; do
        grep -qxF -- "$c" <<<"$cmds" ||
            fail "$name describes a command '$c' (.Ss $c) that sockfam --help does not list"
    done < <(awk '/^\.Sh / { s = substr($0, 5) } s == "DESCRIPTION" && /^\.Ss / { print $2 }' "$PAGE")
}

if ! command -v mandoc >/dev/null; then
    echo "check-man: mandoc is not installed (apt-get install mandoc; scripts/quickstart.sh does)" >&2
    exit 1
fi
pages=("$man"/*.[1-9])
check_lint
for p in "${programs[@]}"; do check_program "$p"; done
check_sockfam
if [ "$failures" -gt 0 ]; then
    echo "check-man: $failures failure(s)" >&2
    exit 1
fi
echo "check-man: ${#pages[@]} pages lint clean; every program's options match its page"
