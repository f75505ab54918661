#!/usr/bin/env bash
# The main job: set everything up, then plan the default scenario (Wan 2.1 T2V-1.3B, 480p, 81
# frames, on a TPU v5e 2x4 slice) and write plan.json and reports to ./aoizora-out.
# Extra arguments go to `aoizora plan` (e.g. --mode exact, --topology v5e:4x4).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
exec "$ROOT/.venv/bin/aoizora" plan --model wan2.1-t2v-1.3b --resolution 480p --frames 81 \
  --topology v5e:2x4 --mode topk --k 4 --out aoizora-out "$@"
