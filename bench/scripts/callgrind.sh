#!/usr/bin/env bash
# Instructions per span for every contender and workload, under
# `valgrind --tool=callgrind`. Each count covers one measured repetition
# (200 traces, all threads, export threads included), isolated with
# callgrind client requests; start-up, set-up and the shape check are not
# counted. Instruction counts repeat from run to run, unlike wall time.
#
# usage: bench/scripts/callgrind.sh [--workloads nested100,off] [--only tracer]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -p bench
target="${CARGO_TARGET_DIR:-target}"
exec "$target/release/bench" callgrind "$@"
