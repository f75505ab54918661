#!/usr/bin/env bash
# Generate a ~10 MB compiled TPU module (deep unrolled MLP) and time parse + analyze on it.
# Usage: bash bench/hlo_analyze_bench.sh [LAYERS]   (default 1400 layers, about 10 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
layers="${1:-1400}"
out=build/hlo_bench/deep_mlp.hlo
if [[ ! -s "$out" ]]; then
  .venv/bin/python tests/data/gen_hlo_fixtures.py --deep-mlp "$out" --layers "$layers" 2>&1 | tail -1
fi
cmake -S . -B build/hlo_bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/hlo_bench --target hlo_analyze_bench >/dev/null
# One core: taskset pins the process (the analyzer is single-threaded anyway).
taskset -c 0 build/hlo_bench/bench/hlo_analyze_bench
