#!/usr/bin/env bash
# How much of a workload's wall time is code placement: the bench as
# `cargo build` lays it out, against the same code with every function
# (every crate, every contender) aligned to 64 bytes. The two builds' child
# processes alternate, so drift hits both alike. Prints, per build and
# contender, the median ns per span over the children, and tracer's ratio
# to fastrace.
#
#   bench/scripts/layout.sh [WORKLOAD] [ROUNDS] [TRACES]
#
# e.g. bench/scripts/layout.sh unsampled 6
# Defaults: unsampled, 6 rounds, 20,000 traces per repetition (15
# repetitions per child). The README's table comes from the default build;
# this script only shows how far placement moves a figure.
set -euo pipefail

workload=${1:-unsampled}
rounds=${2:-6}
traces=${3:-20000}

root=$(git rev-parse --show-toplevel)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && cargo build --quiet -p bench --release)
cp "$target/release/bench" "$work/bench-default"
# A separate target directory: the flag changes every crate's build.
(cd "$root" && RUSTFLAGS="-C llvm-args=-align-all-functions=6" CARGO_TARGET_DIR="$target/layout" \
    cargo build --quiet -p bench --release)
cp "$target/layout/release/bench" "$work/bench-aligned"

for _ in $(seq "$rounds"); do
    for build in default aligned; do
        "$work/bench-$build" child "$workload" --traces "$traces" --reps 15 |
            awk -v build="$build" '/^@result/ && $NF == "ok" { print build, $3, $4 }'
    done
done | python3 -c '
import collections, statistics, sys
ns = collections.defaultdict(list)
for line in sys.stdin:
    build, contender, value = line.split()
    ns[(build, contender)].append(float(value))
for build in ("default", "aligned"):
    medians = {c: statistics.median(v) for (b, c), v in ns.items() if b == build}
    print(build + ": " + "  ".join(f"{c} {m:.2f}" for c, m in sorted(medians.items())))
    if "tracer" in medians and "fastrace" in medians:
        ratio = medians["tracer"] / medians["fastrace"]
        print(f"  tracer / fastrace: {ratio:.2f}x")
'
