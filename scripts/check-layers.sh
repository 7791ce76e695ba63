#!/usr/bin/env bash
# The layering rules of common/ (docs: README "Layout"), checked from the
# source so that a slip fails the test suite, not a review:
#
#   1. common/sock, common/wire and common/lab never print and never exit.
#   2. No function puts `struct sf_err *` after another parameter.
#   3. The family programs include no wire/ or lab/ header, and common/sock
#      includes nothing from wire/, lab/ or prog/ (the build's include paths
#      enforce it too; this names the file when someone works around them).
#
# Exit 0 when every rule holds; 1 with one line per breach otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
breach() { echo "check-layers: $*"; status=1; }

# 1. Printing or exiting in the libraries (the compiler strips the comments first).
for f in common/sock/*.[ch] common/wire/*.[ch] common/lab/*.[ch]; do
    gcc -fpreprocessed -dD -E "$f" 2>/dev/null | tail -n +2 |
        grep -nE '\b(printf|fprintf|vfprintf|perror|puts|fputs|putchar|exit|abort)[[:space:]]*\(' |
        while IFS= read -r line; do breach "$f:${line%%:*}: prints or exits: ${line#*:}"; done
done > /tmp/check-layers.$$ 2>&1
if [ -s /tmp/check-layers.$$ ]; then cat /tmp/check-layers.$$; status=1; fi
rm -f /tmp/check-layers.$$

# 2. struct sf_err * anywhere but first in a parameter list.
hits=$(grep -rnE ',[[:space:]]*(const[[:space:]]+)?struct sf_err[[:space:]]*\*' \
    --include='*.[ch]' common sockfam stream dgram unix raw tests fuzz || true)
[ -z "$hits" ] || breach "struct sf_err * not first:"$'\n'"$hits"
# ... also when the parameter opens a continuation line.
hits=$(grep -rnE -B1 '^[[:space:]]+(const[[:space:]]+)?struct sf_err[[:space:]]*\*[[:space:]]*[a-z_]+\)' \
    --include='*.[ch]' common sockfam stream dgram unix raw tests fuzz | grep -E ',$' || true)
[ -z "$hits" ] || breach "struct sf_err * not first (continued line):"$'\n'"$hits"

# 3. Includes across layers.
hits=$(grep -nE '#include[[:space:]]+"([^"]*/)?(wire|decode|ladder|spawn|netns|task|json|exedir|ready|cpus|lab)\.h"' \
    stream/*.c dgram/*.c unix/*.c raw/*.c || true)
[ -z "$hits" ] || breach "a family program includes a wire/ or lab/ header:"$'\n'"$hits"
for f in common/sock/*.[ch]; do
    grep -oE '#include[[:space:]]+"[^"]+"' "$f" | sed -E 's/.*"(.*)"/\1/' | while read -r h; do
        [ -e "common/sock/$h" ] || echo "check-layers: $f includes \"$h\", which is not in common/sock"
    done
done > /tmp/check-layers.$$ 2>&1
if [ -s /tmp/check-layers.$$ ]; then cat /tmp/check-layers.$$; status=1; fi
rm -f /tmp/check-layers.$$
exit $status
