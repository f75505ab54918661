#!/usr/bin/env bash
# Long fuzzing runs: every libFuzzer target (or the ones named) for SECONDS each (default 600),
# one after the other, through scripts/fuzz.sh (same build dir, corpora and artifacts; set
# AOIZORA_FUZZ_BUILD to use another build dir). Ends with one markdown table row per target, as
# docs/hlo-parser.md records them. Exits non-zero if any target found a crash, leak or timeout.
#   bench/fuzz_long.sh                         # 10 minutes per target, ~30 minutes in all
#   bench/fuzz_long.sh 3600 hlo_analysis_fuzzer
set -uo pipefail
SECONDS_EACH="${1:-600}"
shift || true
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(hlo_parser_fuzzer hlo_analysis_fuzzer backend_config_fuzzer)
status=0
rows=()
for target in "${TARGETS[@]}"; do
  start=$(date +%s)
  out=$(bash scripts/fuzz.sh "$SECONDS_EACH" "$target" 2>&1)
  rc=$?
  printf '%s\n' "$out" >&2
  line=$(tail -1 <<<"$out")
  if ((rc == 0)); then
    result="clean"
  else
    result="FAILED"
    status=1
  fi
  elapsed=$(($(date +%s) - start))
  inputs=$(grep -oE "\(([0-9]+|\?) inputs" <<<"$line" | grep -oE "[0-9]+|\?" || echo "?")
  rss=$(grep -oE "peak RSS ([0-9]+|\?)" <<<"$line" | grep -oE "[0-9]+|\?" || echo "?")
  rows+=("| \`$target\` | ${SECONDS_EACH} s | ${inputs} | ${rss} MB | $result | $(date +%F) |")
  echo "fuzz_long: $target $result after ${elapsed}s wall (build included)" >&2
done
echo
echo "| target | fuzzing time | inputs | peak RSS | result | date |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit $status
