#!/usr/bin/env bash
# Mutation testing of the modules that decide behaviour, with cargo-mutants:
# each mutant (one line of the code changed: an operator flipped, a return
# value replaced, a body emptied) is built and the tests run against it. A
# mutant the tests do not catch ("missed") is a behaviour nothing pins:
# kill it with a test, or, if the mutant cannot change behaviour, say why in
# scripts/mutants-notes.md.
#
#   scripts/mutants.sh sampler         # one group: sampler, propagation,
#                                      # processor, otlp, http, env, macro
#   MUTANTS_SHARD=0/4 scripts/mutants.sh processor   # a quarter of a group
#   scripts/mutants.sh http --in-place --baseline=skip
#                                      # later arguments go to cargo-mutants
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
shift || true
files=()
add() { for f in "$@"; do files+=(--file "$f"); done; }
# The tests a group's mutants run: tracer-core's unit tests, the facade's
# (`tracer`) behaviour binary, and the binaries that exercise the group;
# for the macro, tracer-macros' unit and compile tests with the facade's
# behaviour binary. MUTANTS_ALL_TESTS=1 runs every test binary of those
# packages instead (slower: each mutant rebuilds them all).
packages=tracer,tracer-core
tests=(--lib --test behaviour)
focus() { for t in "$@"; do tests+=(--test "$t"); done; }
case "$group" in
    sampler)
        add tracer-core/src/sampler.rs tracer-core/src/model/ratio.rs
        focus sampling_ratio sampling_closure sampling_custom trace_context_level2
        ;;
    propagation)
        add 'tracer-core/src/propagation/*.rs' tracer-core/src/model/trace_state.rs
        focus trace_context_level2
        ;;
    processor)
        add 'tracer-core/src/processor/*.rs' 'tracer-core/src/processor/tail/*.rs'
        focus provider processor_contract shutdown tail_sampling tail_sampling_limits user_processor_allocations buffer_reuse_memory
        ;;
    otlp)
        add 'tracer-core/src/export/otlp/*.rs'
        focus otlp_env otlp_faults otlp_hang otlp_load otlp_overflow otlp_tls otlp_grpc_env otlp_grpc_faults
        ;;
    http) add tracer-core/src/http/server.rs ;;
    env)
        add 'tracer-core/src/env/*.rs'
        focus otlp_env otlp_env_disabled process_output
        ;;
    macro)
        add 'tracer-macros/src/*.rs'
        packages=tracer,tracer-macros
        tests=(--lib --test behaviour --test trace_disabled --test ui)
        ;;
    *) echo "unknown group $group (sampler, propagation, processor, otlp, http, env, macro)" >&2; exit 2 ;;
esac
[ "${MUTANTS_ALL_TESTS:-0}" = 1 ] && tests=()

shard=()
[ -n "${MUTANTS_SHARD:-}" ] && shard=(--shard "$MUTANTS_SHARD")

exec timeout "${MUTANTS_BUDGET:-10800}" cargo mutants \
    --workspace --all-features "${files[@]}" "${shard[@]}" \
    --timeout "${MUTANTS_TIMEOUT:-300}" "$@" \
    --test-package "$packages" -- "${tests[@]}"
