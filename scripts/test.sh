#!/usr/bin/env bash
# The whole test suite: lint, C++ (ctest), Python (pytest). Prints one summary line
# "aoizora: N passed, N failed, N skipped" and exits non-zero on any failure.
# Extra arguments go to pytest (e.g. scripts/test.sh -k topology).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh || { echo "bootstrap failed"; exit 1; }
PY="$ROOT/.venv/bin/python"
export PATH="$ROOT/.venv/bin:$PATH"
REPORTS="$ROOT/build/test-reports"
rm -rf "$REPORTS"; mkdir -p "$REPORTS"
status=0
failed_steps=()
step() { printf '\n== %s\n' "$*"; }
# fail NAME: remember a failed step so the summary names it (a lint failure scrolls off long logs).
fail() { status=1; failed_steps+=("$1"); }

step "lint: ruff, clang-format"
ruff check python tests bench || fail "ruff check"
ruff format --check python tests bench || fail "ruff format"
mapfile -t cxx < <(git ls-files 'cpp/*.cc' 'cpp/*.h' 'bench/*.cc')
if ((${#cxx[@]})); then clang-format-14 --dry-run --Werror "${cxx[@]}" || fail "clang-format"; fi

step "C++: configure and build (build/dev)"
cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release >"$REPORTS/cmake.log" 2>&1 \
  || { cat "$REPORTS/cmake.log"; fail "cmake configure"; }
cmake --build build/dev -j 2 || fail "C++ build"

step "C++: ctest"
ctest --test-dir build/dev --output-on-failure --output-junit "$REPORTS/ctest.xml" -j 2 || fail "ctest"

step "fuzz: HLO parser (20 s, clang++-14 libFuzzer in build/fuzz)"
bash scripts/fuzz.sh 20 || fail "fuzz"

step "Python: pytest"
"$PY" -m pytest -q -p no:cacheprovider --junitxml="$REPORTS/pytest.xml" "$@"
rc=$?
# pytest exit 5 = no tests collected: a failure here, the suite must run tests.
[ $rc -ne 0 ] && fail "pytest (exit $rc)"

step "summary"
"$PY" scripts/summarize_tests.py "$REPORTS/ctest.xml" "$REPORTS/pytest.xml" || fail "test summary"
if ((${#failed_steps[@]})); then
  printf 'aoizora: FAILED steps: %s\n' "$(IFS=,; echo "${failed_steps[*]}")"
fi
exit $status
