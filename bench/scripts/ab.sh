#!/usr/bin/env bash
# A/B of tracer between a git revision and the work tree, for changes too
# small to see across two full runs (wall time on a shared VM drifts by
# tens of percent within minutes). The two builds' child processes alternate, so drift hits both
# alike. Prints, per build, the median ns per span (and on `threads` the
# 2-thread over 1-thread scaling) and every child's figure.
#
#   bench/scripts/ab.sh REV [WORKLOAD] [ROUNDS] [TRACES]
#
# e.g. bench/scripts/ab.sh HEAD unsampled 6 2000
# Defaults: nested100, 6 rounds, 1,000 traces per repetition (15 repetitions
# per child). Instruction counts need no A/B: see callgrind.sh.
set -euo pipefail

rev=${1:?usage: bench/scripts/ab.sh REV [WORKLOAD] [ROUNDS] [TRACES]}
workload=${2:-nested100}
rounds=${3:-6}
traces=${4:-1000}

root=$(git rev-parse --show-toplevel)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$root" worktree add --detach --quiet "$work/base" "$rev"
(cd "$work/base" && CARGO_TARGET_DIR="$target/ab-base" cargo build --quiet -p bench --release)
cp "$target/ab-base/release/bench" "$work/bench-base"
(cd "$root" && cargo build --quiet -p bench --release)
cp "$target/release/bench" "$work/bench-tree"

for _ in $(seq "$rounds"); do
    for build in base tree; do
        "$work/bench-$build" child "$workload" --traces "$traces" --reps 15 --only tracer |
            awk -v build="$build" '/^@result/ { print build, "ns", $4 } /^@scaling/ { print build, "scaling", $4 }'
    done
done | python3 -c '
import collections, statistics, sys
figures = collections.defaultdict(list)
for line in sys.stdin:
    build, what, value = line.split()
    figures[(what, build)].append(float(value))
for (what, build), values in sorted(figures.items()):
    label = {"base": "'"$rev"'", "tree": "work tree"}[build]
    print(f"{what:8} {label:12} median {statistics.median(values):8.3f}   " + " ".join(f"{v:.2f}" for v in values))
'
