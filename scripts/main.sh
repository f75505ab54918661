#!/usr/bin/env bash
# The main job: set everything up, then `aoizora plan` with its defaults: Wan 2.1 T2V-1.3B, 480p,
# 81 frames, on a TPU v5e 2x4 slice, top-K with K = 4; writes plan.json and reports to
# ./aoizora-out and says why the plan wins (--explain).
# Extra arguments go to `aoizora plan` (e.g. --mode exact, --topology v5e:4x4).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
exec "$ROOT/.venv/bin/aoizora" plan --explain "$@"
