#!/usr/bin/env bash
# Fuzzes the HLO parser for SECONDS seconds (default 60) with libFuzzer + ASan/UBSan.
# Builds build/fuzz with clang++-14; the corpus grows in build/fuzz/corpus (seeded from
# cpp/aoizora/hlo/fuzz/corpus and tests/data/hlo/handwritten). Exits non-zero on a crash, leak or
# timeout; the reproducer is left in build/fuzz/artifacts/.
#   scripts/fuzz.sh 600
set -euo pipefail
SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="$ROOT/build/fuzz"
CXX=clang++-14 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAOIZORA_BUILD_FUZZERS=ON -DAOIZORA_BUILD_TESTS=OFF -DAOIZORA_BUILD_BENCHMARKS=OFF \
  -DAOIZORA_BUILD_TOOLS=OFF -DAOIZORA_BUILD_PYTHON=OFF >"$BUILD.cmake.log" 2>&1 \
  || { cat "$BUILD.cmake.log"; exit 1; }
cmake --build "$BUILD" --target hlo_parser_fuzzer >"$BUILD.build.log" 2>&1 \
  || { tail -40 "$BUILD.build.log"; exit 1; }
mkdir -p "$BUILD/corpus" "$BUILD/artifacts"
cp -n cpp/aoizora/hlo/fuzz/corpus/* "$BUILD/corpus/" 2>/dev/null || true
for f in tests/data/hlo/handwritten/*.hlo; do
  [ -e "$f" ] && cp -n "$f" "$BUILD/corpus/seed_$(basename "$f")"
done
FUZZER="$(find "$BUILD" -name hlo_parser_fuzzer -type f -perm -u+x | head -1)"
"$FUZZER" "$BUILD/corpus" -dict=cpp/aoizora/hlo/fuzz/hlo.dict -max_total_time="$SECONDS_TO_RUN" \
  -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$BUILD/artifacts/" 2>"$BUILD/fuzz.log" \
  || { tail -60 "$BUILD/fuzz.log"; echo "fuzz: FAILED (reproducer in $BUILD/artifacts/)"; exit 1; }
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/fuzz.log" || true
echo "fuzz: ok, no crash in ${SECONDS_TO_RUN}s"
