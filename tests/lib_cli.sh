# SPDX-License-Identifier: MIT
# Sourced by the tests/cli_*.sh scripts: a tally of checks and the closing
# line CTest and CI read ("N passed, N failed", prefixed by the script's name).
fails=0 passes=0
ok()    { passes=$((passes+1)); }
bad()   { echo "FAIL: $*"; fails=$((fails+1)); }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
# finish NAME: print the tally; the script's exit status is 0 only if nothing failed
finish() { echo "$1: $passes passed, $fails failed"; [ "$fails" -eq 0 ]; }
