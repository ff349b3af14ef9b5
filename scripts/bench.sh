#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs meshlog's benchmark programs (`make bench`), one after another, from a
# build tree: scripts/bench.sh BUILD_DIR [ARGS...]. Each program in BENCHES is
# a bench/bench_*.c built into BUILD_DIR/bench; ARGS are passed to every one,
# so only options they all take (--quick, --json). A listed program that is
# not built yet is reported and skipped; the exit status is 1 if any program
# that ran failed. Not part of `make check`: the figures depend on the
# machine (see docs/BENCHMARKS.md).
set -u

# The programs to run, in order: the core (W1), then sync.
BENCHES="bench_w1 bench_sync"

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: scripts/bench.sh BUILD_DIR [--quick] [--json]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Where the programs find the meshlog command and the Python seed.
export MESHLOG_BIN="${MESHLOG_BIN:-$BUILD/meshlog}"
export MESHLOG_SHARED="${MESHLOG_SHARED:-$ROOT/../shared}"

json=0
for a in "$@"; do
    [ "$a" = "--json" ] && json=1
done

status=0
for b in $BENCHES; do
    prog="$BUILD/bench/$b"
    if [ ! -x "$prog" ]; then
        echo "bench.sh: $b: not built (no $prog), skipped" >&2
        continue
    fi
    [ "$json" = 1 ] || printf '== %s ==\n' "$b"
    if ! "$prog" "$@"; then
        echo "bench.sh: $b failed" >&2
        status=1
    fi
    [ "$json" = 1 ] || echo
done
exit $status
