#!/usr/bin/env bash
# Fuzzes with libFuzzer + ASan/UBSan (clang++-14) for SECONDS seconds in all (default 60):
#   hlo_parser_fuzzer      the HLO parser                           (40% of the time)
#   hlo_analysis_fuzzer    parse -> analyses, Q1, profile, Q2 rank  (40%)
#   backend_config_fuzzer  the backend_config scanners              (20%)
# Name targets after SECONDS to run only those (the time is split evenly between them):
#   scripts/fuzz.sh 20                              # the suite's short run (scripts/test.sh)
#   scripts/fuzz.sh 600 hlo_analysis_fuzzer         # one target, ten minutes
# Builds in build/fuzz (AOIZORA_FUZZ_BUILD overrides it); each target's corpus grows in
# BUILD/corpus-<target>, seeded from cpp/aoizora/hlo/fuzz/corpus*, tests/data/hlo/handwritten and
# cpp/aoizora/hlo/testdata/hostile (runs under 60 s start from the seeds alone, so the suite's run
# keeps its length). Exits non-zero on a crash, leak or timeout; the reproducer is left in
# BUILD/artifacts/<target>-*. Long runs: bench/fuzz_long.sh.
set -euo pipefail
SECONDS_TO_RUN="${1:-60}"
shift || true
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${AOIZORA_FUZZ_BUILD:-$ROOT/build/fuzz}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
FUZZ_SRC=cpp/aoizora/hlo/fuzz
ALL_TARGETS=(hlo_parser_fuzzer hlo_analysis_fuzzer backend_config_fuzzer)
if (($#)); then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (${ALL_TARGETS[*]})"; exit 2; }
done

mkdir -p "$BUILD"
CXX=clang++-14 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAOIZORA_BUILD_FUZZERS=ON -DAOIZORA_BUILD_TESTS=OFF -DAOIZORA_BUILD_BENCHMARKS=OFF \
  -DAOIZORA_BUILD_TOOLS=OFF -DAOIZORA_BUILD_PYTHON=OFF >"$BUILD.cmake.log" 2>&1 \
  || { cat "$BUILD.cmake.log"; exit 1; }
cmake --build "$BUILD" --target "${TARGETS[@]}" >"$BUILD.build.log" 2>&1 \
  || { tail -40 "$BUILD.build.log"; exit 1; }

# Seconds for one target: its share of SECONDS_TO_RUN (at least 1).
share() {
  local weight=1 total=0 t
  if ((${#TARGETS[@]} == ${#ALL_TARGETS[@]})); then
    for t in "${TARGETS[@]}"; do total=$((total + $(weight_of "$t"))); done
    weight=$(weight_of "$1")
  else
    total=${#TARGETS[@]}
  fi
  local s=$((SECONDS_TO_RUN * weight / total))
  echo $((s > 0 ? s : 1))
}
weight_of() { case "$1" in backend_config_fuzzer) echo 1 ;; *) echo 2 ;; esac; }

seed() {  # seed <target> <corpus dir>
  local f
  if [ "$1" = backend_config_fuzzer ]; then
    cp -n "$FUZZ_SRC"/corpus_backend_config/* "$2/" 2>/dev/null || true
    return
  fi
  cp -n "$FUZZ_SRC"/corpus/* "$2/" 2>/dev/null || true
  for f in tests/data/hlo/handwritten/*.hlo cpp/aoizora/hlo/testdata/hostile/*.hlo; do
    [ -e "$f" ] && cp -n "$f" "$2/seed_$(basename "$f")"
  done
  if [ "$1" = hlo_analysis_fuzzer ]; then  # small real modules: lowered and compiled, with loops
    for f in tests/data/hlo/generated/{permute,scan_layers,scan_shard_map,dot_all_reduce}.*.hlo; do
      [ -e "$f" ] && cp -n "$f" "$2/seed_$(basename "$f")"
    done
  fi
  return 0
}

mkdir -p "$BUILD/artifacts"
status=0
for target in "${TARGETS[@]}"; do
  seconds=$(share "$target")
  corpus="$BUILD/corpus-$target"
  if ((SECONDS_TO_RUN < 60)); then
    # A short run (the suite's) starts from the seeds alone: replaying a corpus grown by earlier
    # runs would take longer than the run itself and grow with every run.
    corpus="$BUILD/corpus-$target-short"
    rm -rf "$corpus"
  fi
  mkdir -p "$corpus"
  seed "$target" "$corpus"
  dict="$FUZZ_SRC/hlo.dict"
  [ "$target" = backend_config_fuzzer ] && dict="$FUZZ_SRC/backend_config.dict"
  fuzzer="$(find "$BUILD" -name "$target" -type f -perm -u+x | head -1)"
  log="$BUILD/fuzz-$target.log"
  if "$fuzzer" "$corpus" -dict="$dict" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$BUILD/artifacts/$target-" 2>"$log"; then
    runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
    rss=$(grep -oE "stat::peak_rss_mb: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
    echo "fuzz: $target ok, no crash in ${seconds}s ($runs inputs, peak RSS ${rss} MB)"
  else
    tail -60 "$log"
    echo "fuzz: $target FAILED (reproducer in $BUILD/artifacts/$target-*)"
    status=1
  fi
done
exit $status
