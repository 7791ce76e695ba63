#!/usr/bin/env bash
# The Debian package, end to end: build it (dpkg-buildpackage -us -uc -b)
# from a temporary copy of this tree, so nothing is left in the checkout or
# its parent; lint it (any E: fails); install it with dpkg -i; check what
# it installed (every program's --version, `man -w` for every page man/
# holds, the completion under all nine names and bash-completion loading
# it, icmp-ping's CAP_NET_RAW from postinst, which lets nobody ping
# 127.0.0.1); then purge it and remove the copy, whatever happened.
#
#   bash scripts/deb-check.sh
#
# Run as root (it installs a package).  Installs the Debian packages it
# needs when missing, as quickstart.sh does: the tools below, and whatever
# debian/control's Build-Depends names that dpkg-checkbuilddeps finds
# missing.  `bash scripts/quickstart.sh test` runs it after the test suite.
# Exit 0 every check held; 1 one failed (each named); 77 not root.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
programs=(tcp-server tcp-client udp-server udp-client unix-server unix-client icmp-ping
    icmp-echod sockfam)

# dpkg-dev and debhelper build the package (Rules-Requires-Root: no, so no
# fakeroot); lintian lints it; man-db answers `man -w`; libcap2-bin is the
# setcap of postinst; bash-completion loads the installed completion.
tools=(build-essential dpkg-dev debhelper lintian man-db libcap2-bin bash-completion)

say() { echo "deb-check: $*"; }
die() {
    echo "deb-check: $*" >&2
    exit 1
}

if [ "$(id -u)" -ne 0 ]; then
    echo "deb-check: installing a package needs root" >&2
    exit 77
fi

install_missing() { # install_missing PKG...: those not installed, quietly
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
install_missing "${tools[@]}"
# What Build-Depends names and is missing: "cmake (>= 3.18) libpcap-dev" -> cmake libpcap-dev.
unmet=$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
    sed -E 's/\([^)]*\)//g; s/\|[^ ]*//g') || true
# shellcheck disable=SC2086 # one word a package
[ -z "$unmet" ] || install_missing $unmet

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)

# Never replace or remove what is there already: an installed sockfam, or
# programs of the same names that some `cmake --install --prefix /usr` left.
if dpkg-query -W -f='${Status}' sockfam 2>/dev/null | grep -q 'install ok installed'; then
    die "the sockfam package is installed already; this check installs and purges its own: remove it first"
fi
for p in "${programs[@]}"; do
    [ ! -e "/usr/bin/$p" ] || die "/usr/bin/$p exists and is no package's: dpkg -i would replace it"
done

tmp=$(mktemp -d /tmp/sockfam-deb-XXXXXX)
installed=0
cleanup() {
    local rc=$?
    if [ "$installed" -eq 1 ] && ! dpkg -P sockfam >"$tmp/purge.log" 2>&1; then
        cat "$tmp/purge.log" >&2
        echo "deb-check: dpkg -P sockfam failed: remove it by hand" >&2
        rc=1
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. A copy of the tree as it stands: git's files (tracked and new, not
# ignored) in a checkout, else everything but build trees.
mkdir "$tmp/src"
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
    git ls-files -z -co --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar -cf - --null -T - | tar -xf - -C "$tmp/src"
else
    tar -cf - --exclude='./build*' --exclude='./obj-*' --exclude='./debian/.debhelper' \
        --exclude='./debian/sockfam' . | tar -xf - -C "$tmp/src"
fi

# 2. Build (2 jobs at most: the machine is shared), then lint.
say "building sockfam_${version}_${arch}.deb in $tmp"
case " ${DEB_BUILD_OPTIONS:-} " in
*" parallel="*) ;;
*) export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=2" ;;
esac
if ! (cd "$tmp/src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
    tail -40 "$tmp/build.log" >&2
    die "dpkg-buildpackage failed (the end of its log above)"
fi
deb=$tmp/sockfam_${version}_${arch}.deb
[ -f "$deb" ] || die "no $deb after the build: $(ls "$tmp")"
lintian "$deb" 2>&1 | grep -v 'running with root privileges' >"$tmp/lintian.log" || true
cat "$tmp/lintian.log"
! grep -q '^E:' "$tmp/lintian.log" || die "lintian reports errors (E: above)"
say "lintian: no error ($(grep -c '^W:' "$tmp/lintian.log" || true) warnings)"

# 3. Install, and check what is installed.
installed=1
dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; die "dpkg -i failed"; }
failed=0
fail() {
    echo "deb-check: $*" >&2
    failed=1
}
for p in "${programs[@]}"; do
    out=$("/usr/bin/$p" --version 2>&1) || fail "/usr/bin/$p --version exits $?: $out"
    # Built from a copy without .git: the version alone, no git describe.
    [ "$out" = "$p (sockfam) $version" ] || fail "/usr/bin/$p --version: '$out', expected '$p (sockfam) $version'"
done
say "/usr/bin/tcp-server --version: $(/usr/bin/tcp-server --version)"

pages=0
if grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d; then
    say "dpkg is told not to install man pages here (/etc/dpkg/dpkg.cfg.d): man -w not checked"
else
    for f in "$src"/man/*.[1-9]; do
        [ -e "$f" ] || continue
        name=${f##*/}
        where=$(man -w "${name##*.}" "${name%.*}" 2>&1) || fail "man -w ${name##*.} ${name%.*}: $where"
        [ "$where" = "/usr/share/man/man${name##*.}/$name.gz" ] ||
            fail "man -w ${name##*.} ${name%.*}: '$where'"
        pages=$((pages + 1))
    done
    say "man -w: $pages pages of man/ found"
fi

comps=/usr/share/bash-completion/completions
for p in "${programs[@]}"; do
    [ -e "$comps/$p" ] || fail "$comps/$p: not installed"
done
got=$(bash -c 'source /usr/share/bash-completion/bash_completion >/dev/null 2>&1
    __load_completion tcp-client || exit 3
    COMP_WORDS=(tcp-client --mode ""); COMP_CWORD=2
    _sockfam_complete tcp-client "" --mode
    echo "${COMPREPLY[*]}"' 2>&1) || true
[ "$got" = "welcome echo mirror discard" ] ||
    fail "bash-completion's loader: 'tcp-client --mode <TAB>' gave '$got'"
say "completion: the ${#programs[@]} names in $comps, loaded by bash-completion"

# postinst's setcap, where this filesystem keeps capabilities: then nobody can ping.
caps=$(getcap /usr/bin/icmp-ping 2>/dev/null || true)
if [[ $caps == *cap_net_raw=ep* ]]; then
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/icmp-ping -c 1 -W 5 127.0.0.1 2>&1) ||
        fail "icmp-ping as nobody, with the capability postinst gave it: $out"
    [ -z "$(getcap /usr/bin/icmp-echod)" ] || fail "icmp-echod has capabilities: $(getcap /usr/bin/icmp-echod)"
    say "postinst: $caps; nobody pings 127.0.0.1"
else
    say "postinst gave icmp-ping no capability here ('$caps': setcap failed, see dpkg's output): not checked"
    grep -i setcap "$tmp/install.log" || true
fi

# 4. Purge: every file goes.
installed=0
dpkg -P sockfam >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; die "dpkg -P sockfam failed"; }
for p in "${programs[@]}"; do
    if [ -e "/usr/bin/$p" ] || [ -L "$comps/$p" ] || [ -e "$comps/$p" ]; then
        fail "left after dpkg -P: /usr/bin/$p or $comps/$p"
    fi
done
[ ! -e /usr/share/doc/sockfam ] || fail "left after dpkg -P: /usr/share/doc/sockfam"
[ "$failed" -eq 0 ] || exit 1
say "the package builds, lints without error, installs, runs and purges"
