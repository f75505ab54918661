#!/usr/bin/env bash
# The main job: set everything up, then plan the default scenario. Arguments go to the command.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
exec "$ROOT/.venv/bin/aoizora" smoke --topology v5e:2x4 "$@"
