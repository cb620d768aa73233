#!/usr/bin/env bash
# Session cache micro-benchmark: builds bench/session-cache once per cache implementation (moka,
# pingora-memory-cache/TinyUFO), each cold in its own target directory under target/, and prints
# the build time, how many crates each adds, and the hot-path timings. See bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=$ROOT/bench/session-cache
for impl in moka tinyufo; do
    target=$ROOT/target/bench-session-cache/$impl
    rm -rf "$target"
    crates=$(cd "$DIR" && cargo tree --offline --features "$impl" -e normal --prefix none | sed 's/ (\*)//' | sort -u | wc -l)
    start=$(date +%s.%N)
    (cd "$DIR" && CARGO_TARGET_DIR=$target cargo build --offline --release --quiet --features "$impl")
    end=$(date +%s.%N)
    printf '%s: %d crates (with the benchmark itself), cold release build %.1f s, load average %s\n' \
        "$impl" "$crates" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
    "$target/release/session-cache-bench"
done
