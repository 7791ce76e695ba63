#!/usr/bin/env bash
# `cmake --install` of this build, twice: into a temporary prefix
# (--prefix), and staged under a temporary DESTDIR for a prefix of /usr, as
# a package build does.  Each tree must hold the nine programs in bin/,
# every man/*.[1-9] of the source in share/man/manN (man1, man7, man8), the
# completion under all nine names in share/bash-completion/completions,
# README.md and docs/ in share/doc/sockfam, and nothing outside DESTDIR;
# each installed program's --version must work, and bash-completion (where
# installed) must load the completion from the installed tree.  And the
# version debian/changelog gives the package is the programs' own.
#
#   bash tests/scripts/test_install.sh BUILD_DIR SOURCE_DIR
#
# Exit 0 when every check holds, 1 with a line per failure.
set -uo pipefail
build=${1:?usage: test_install.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: test_install.sh BUILD_DIR SOURCE_DIR}
programs=(tcp-server tcp-client udp-server udp-client unix-server unix-client icmp-ping
    icmp-echod sockfam)
failed=0
fail() {
    echo "test_install: $*"
    failed=1
}
tmp=$(mktemp -d /tmp/sockfam-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# check ROOT: the tree under ROOT (the prefix as installed).
check_tree() {
    local root=$1 p f name
    for p in "${programs[@]}"; do
        [[ -f $root/bin/$p && -x $root/bin/$p ]] || fail "$root/bin/$p: not installed"
        f=$root/share/bash-completion/completions/$p
        [[ -e $f ]] || fail "$f: not installed"
        [[ $p == sockfam || $(readlink "$f") == sockfam ]] || fail "$f: not a link to sockfam"
    done
    grep -q '^complete -F _sockfam_complete' "$root/share/bash-completion/completions/sockfam" ||
        fail "the installed completion registers nothing"
    # Every page the source has (none yet is fine), where man(1) looks.
    for f in "$src"/man/*.[1-9]; do
        [[ -e $f ]] || continue
        name=${f##*/}
        cmp -s "$f" "$root/share/man/man${name##*.}/$name" ||
            fail "$root/share/man/man${name##*.}/$name: not installed as it is in man/"
    done
    cmp -s "$src/README.md" "$root/share/doc/sockfam/README.md" ||
        fail "$root/share/doc/sockfam/README.md: missing or different"
    (cd "$src" && find docs -type f) | while read -r f; do
        cmp -s "$src/$f" "$root/share/doc/sockfam/$f" || echo "test_install: $root/share/doc/sockfam/$f: missing or different"
    done | grep . && failed=1
    return 0
}

# 1. --prefix: the programs run from there.
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "cmake --install --prefix failed"; exit 1; }
check_tree "$prefix"
for p in "${programs[@]}"; do
    out=$("$prefix/bin/$p" --version 2>&1) || fail "$prefix/bin/$p --version exits $?: $out"
    [[ $out == "$p (sockfam) "[0-9]* ]] || fail "$prefix/bin/$p --version: '$out'"
done
"$prefix/bin/sockfam" show | grep -q '^  timeout ' || fail "the installed sockfam show lists no lesson"
# The Debian package's version is the programs' (project(VERSION)); a Debian revision aside.
deb=$(sed -n '1s/^sockfam (\([^)]*\)).*/\1/p' "$src/debian/changelog")
out=$("$prefix/bin/tcp-server" --version)
[[ $out == "tcp-server (sockfam) ${deb%-*}"* ]] ||
    fail "debian/changelog says ${deb:-nothing}, tcp-server --version '$out'"

# 2. DESTDIR with prefix /usr: everything lands under DESTDIR/usr, nothing elsewhere.
dest=$tmp/dest
DESTDIR=$dest cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "DESTDIR=... cmake --install --prefix /usr failed"; exit 1; }
check_tree "$dest/usr"
outside=$(cd "$dest" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[[ -z $outside ]] || fail "installed outside the prefix: $outside"
# The staged tree names no build path (a package must not point back into the build).
if grep -rqs -- "$build" "$dest/usr/share"; then fail "$dest/usr/share names the build tree"; fi

# 3. bash-completion, where installed, finds the completion in the prefix and completes with it.
bc=/usr/share/bash-completion/bash_completion
if [[ -r $bc ]]; then
    got=$(XDG_DATA_DIRS="$prefix/share" PATH="$prefix/bin:$PATH" bash -c '
        source "$1" >/dev/null 2>&1
        __load_completion tcp-client || exit 3
        COMP_WORDS=(tcp-client --mode ""); COMP_CWORD=2
        $(complete -p tcp-client | sed -n "s/.*-F \([^ ]*\).*/\1/p") tcp-client "" --mode
        echo "${COMPREPLY[*]}"' _ "$bc" 2>&1)
    [[ $got == "welcome echo mirror discard" ]] ||
        fail "bash-completion from $prefix/share: 'tcp-client --mode <TAB>' gave '$got'"
else
    echo "test_install: bash-completion is not installed: its loader not tried"
fi
exit $failed
