#!/usr/bin/env bash
# Compile time of a generated crate with N (default 500) instrumented
# functions: tracer's `#[trace]`, tracing's `#[instrument]`, and no
# attribute. Dependencies are built first and not counted: each figure is
# the time to rebuild the crate alone after touching it, the median of 3.
#
# usage: bench/scripts/compile_time.sh [N] [--release]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-500}"
profile=()
[[ "${2:-}" == "--release" ]] && profile=(--release)
work="${CARGO_TARGET_DIR:-$root/target}/compile-time"
mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target"

generate() { # name, dependency line, attribute
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<TOML
[package]
name = "ct-$1"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
$2
TOML
  {
    echo "//! $n functions, generated."
    for i in $(seq 0 $((n - 1))); do
      echo "$3"
      echo "pub fn f$i(x: u64) -> u64 { x.wrapping_mul($i).rotate_left(3) }"
    done
  } >"$dir/src/lib.rs"
}

generate none "" ""
generate trace "tracer = { path = \"$root\" }" "#[tracer::trace]"
generate instrument "tracing = \"0.1\"" "#[tracing::instrument]"

echo "| crate ($n functions) | build seconds (${profile[*]:-dev}) |"
echo "|---|---:|"
for name in none trace instrument; do
  dir="$work/$name"
  cargo build -q "${profile[@]}" --manifest-path "$dir/Cargo.toml"
  times=()
  for _ in 1 2 3; do
    touch "$dir/src/lib.rs"
    start=$(date +%s.%N)
    cargo build -q "${profile[@]}" --manifest-path "$dir/Cargo.toml"
    end=$(date +%s.%N)
    times+=("$(awk "BEGIN { print $end - $start }")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  label=$name
  [[ $name == trace ]] && label='#[trace]'
  [[ $name == instrument ]] && label='#[instrument]'
  [[ $name == none ]] && label='no attribute'
  printf '| %s | %.2f |\n' "$label" "$median"
done
