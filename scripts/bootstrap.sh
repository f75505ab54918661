#!/usr/bin/env bash
# Installs everything AoiZora needs on a fresh Debian machine, then builds the project.
# Idempotent: each step is skipped when its inputs have not changed since the last run.
#   apt packages   -> compilers, GoogleTest, Google Benchmark, clang (libFuzzer), clang-format
#   .venv          -> pinned Python packages from requirements.txt
#   aoizora        -> editable install; the C++ core is rebuilt when its sources change
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMPS="$VENV/.aoizora-stamps"
log() { printf '[bootstrap] %s\n' "$*" >&2; }

APT_PACKAGES=(g++ make libgtest-dev libbenchmark-dev clang-14 libclang-rt-14-dev clang-format-14
  python3-venv python3-dev libsimgrid-dev pkg-config)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment .venv"
  "$PYTHON" -m venv "$VENV"
fi
mkdir -p "$STAMPS"

req_hash=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$STAMPS/requirements" 2>/dev/null)" != "$req_hash" ]; then
  log "pip: installing requirements.txt (first run downloads jax, libtpu: a few minutes)"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
  echo "$req_hash" > "$STAMPS/requirements"
fi

# Rebuild the extension when any C++/CMake/packaging input changed, or the set of Python files
# (the editable install maps each module it saw: a new package, e.g. a model family, needs it).
src_hash=$( (find cpp cmake -type f \( -name '*.cc' -o -name '*.h' -o -name 'CMakeLists.txt' \
  -o -name '*.cmake' \) -print0 | sort -z | xargs -0 sha256sum; sha256sum CMakeLists.txt \
  pyproject.toml; find python -name '*.py' | sort) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMPS/core" 2>/dev/null)" != "$src_hash" ] \
  || ! "$VENV/bin/python" -c 'import aoizora._core' 2>/dev/null; then
  log "building the C++ core and installing aoizora (editable)"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps -e . \
    -Ccmake.define.CMAKE_BUILD_PARALLEL_LEVEL=2
  echo "$src_hash" > "$STAMPS/core"
fi
