#!/usr/bin/env bash
# Mutation testing of the modules that decide behaviour, with cargo-mutants:
# each mutant (one line of the code changed: an operator flipped, a return
# value replaced, a body emptied) is built and the tests run against it. A
# mutant the tests do not catch ("missed") is a behaviour nothing pins:
# kill it with a test, or, if the mutant cannot change behaviour, say why in
# scripts/mutants-notes.md.
#
#   scripts/mutants.sh                 # every module below (hours on 2 cores)
#   scripts/mutants.sh sampler         # one group: sampler, propagation,
#                                      # processor, otlp, http, env, macro
#   MUTANTS_SHARD=0/4 scripts/mutants.sh processor   # a quarter of a group
#
# Each group is bounded: cargo-mutants stops a mutant's tests after
# MUTANTS_TIMEOUT seconds (default 300), and the whole run after
# MUTANTS_BUDGET seconds (default 3 hours). Results are in mutants.out/
# (caught.txt, missed.txt, timeout.txt, unviable.txt). A developer tool:
# not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || {
    echo "cargo-mutants is needed: cargo install cargo-mutants --locked" >&2
    exit 1
}

group=${1:-all}
files=()
add() { for f in "$@"; do files+=(--file "$f"); done; }
case "$group" in
    sampler) add tracer-core/src/sampler.rs tracer-core/src/model/ratio.rs ;;
    propagation) add 'tracer-core/src/propagation/*.rs' tracer-core/src/model/trace_state.rs ;;
    processor) add 'tracer-core/src/processor/*.rs' 'tracer-core/src/processor/tail/*.rs' ;;
    otlp) add 'tracer-core/src/export/otlp/*.rs' ;;
    http) add tracer-core/src/http/server.rs ;;
    env) add 'tracer-core/src/env/*.rs' ;;
    macro) add 'tracer-macros/src/*.rs' ;;
    all)
        add tracer-core/src/sampler.rs tracer-core/src/model/ratio.rs 'tracer-core/src/propagation/*.rs' \
            tracer-core/src/model/trace_state.rs 'tracer-core/src/processor/*.rs' 'tracer-core/src/processor/tail/*.rs' \
            'tracer-core/src/export/otlp/*.rs' tracer-core/src/http/server.rs 'tracer-core/src/env/*.rs' \
            'tracer-macros/src/*.rs'
        ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
esac

shard=()
[ -n "${MUTANTS_SHARD:-}" ] && shard=(--shard "$MUTANTS_SHARD")

# The README's test command, for every mutant: the unit tests of the
# mutated crate and every integration test through the facade.
exec timeout "${MUTANTS_BUDGET:-10800}" cargo mutants \
    --workspace --all-features "${files[@]}" "${shard[@]}" \
    --timeout "${MUTANTS_TIMEOUT:-300}" \
    --test-workspace=true
