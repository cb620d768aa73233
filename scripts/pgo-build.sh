#!/usr/bin/env bash
# The release build that ships (the container image; bench/run.sh measures it): profile-guided.
# rustc builds an instrumented gatehouse, scripts/pgo-train.sh runs it through the work a
# deployment does most (proxying, forward-auth answers, turning away the signed-out), and rustc
# builds again with those counts, laying out and inlining the hot paths for them. Measured in
# bench/changes.md: about a fifth fewer instructions per request and 10 % less CPU.
#
#   scripts/pgo-build.sh            # writes target/pgo/release/gatehouse
#
# Needs llvm-profdata of rustc's LLVM: `rustup component add llvm-tools`, or Debian's
# llvm-N package for rustc's LLVM major version N (`rustc -vV`). `cargo build --release` still
# works without any of this, for a binary that is slower by that much.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[pgo-build] %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
host=$(rustc -vV | sed -n 's/^host: //p')
profdata=""
find_profdata() {
    local candidate
    for candidate in "$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata" "llvm-profdata-$major" llvm-profdata; do
        if command -v "$candidate" >/dev/null && "$candidate" --version 2>/dev/null | grep -q "LLVM version $major\."; then
            profdata=$candidate
            return 0
        fi
    done
    return 1
}
if ! find_profdata && command -v rustup >/dev/null; then
    say "llvm-profdata for LLVM $major is missing: rustup component add llvm-tools"
    rustup component add llvm-tools >&2 || true
    find_profdata || true
fi
[[ -n $profdata ]] ||
    die "llvm-profdata for LLVM $major is missing: rustup component add llvm-tools (or apt-get install llvm-$major)"

data=$PWD/target/pgo-data
rm -rf "$data"
mkdir -p "$data/build" "$data/train"
say "1/3 instrumented build (target/pgo-generate)"
# gatehouse alone: with an example beside it, cargo would unify the dev-dependencies' features
# into the library's dependencies, and their symbols would not match the final build's. The
# build's own instrumented programs (build scripts, proc macros) write to build/; only
# gatehouse's counts from the training run are merged.
RUSTFLAGS="-Cprofile-generate=$data/build" CARGO_TARGET_DIR=target/pgo-generate \
    cargo build --release --locked --bin gatehouse
cargo build --release --locked --example bare_hyper
say "2/3 training run"
LLVM_PROFILE_FILE="$data/train/%m-%p.profraw" scripts/pgo-train.sh \
    --bin target/pgo-generate/release/gatehouse --upstream-bin target/release/examples/bare_hyper
compgen -G "$data/train/*.profraw" >/dev/null || die "the training run wrote no profile"
"$profdata" merge -o "$data/merged.profdata" "$data"/train/*.profraw
# Named by its content: cargo tracks RUSTFLAGS, not the file they name, so a new profile must
# change the flags for every crate to be rebuilt with it.
profile=$data/gatehouse-$(sha256sum "$data/merged.profdata" | cut -c1-16).profdata
mv "$data/merged.profdata" "$profile"
say "3/3 optimised build (target/pgo)"
RUSTFLAGS="-Cprofile-use=$profile" CARGO_TARGET_DIR=target/pgo \
    cargo build --release --locked --bin gatehouse
say "built target/pgo/release/gatehouse"
