"""scripts/summarize_tests.py: a skipped test (ctest's GTEST_SKIP, pytest's skip) counts as
skipped with its reason; a ctest test whose executable was never built counts as failed."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "scripts" / "summarize_tests.py"

# As ctest 4 writes it (--output-junit) for a passing test, a GTEST_SKIP (gtest_discover_tests
# sets SKIP_REGULAR_EXPRESSION), a disabled test and a test whose executable is missing.
CTEST = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="aoizora" tests="4" failures="0" disabled="1" skipped="2" time="0">
  <testcase name="Topo.Parses" classname="Topo.Parses" time="0.01" status="run">
    <properties/><system-out>[  PASSED  ] 1 test.</system-out>
  </testcase>
  <testcase name="RealModuleTest.Llama3SpmdDumpParsesWhole"
            classname="RealModuleTest.Llama3SpmdDumpParsesWhole" time="0.01" status="notrun">
    <skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>
    <properties/>
    <system-out>Running main() from gtest_main.cc
[ RUN      ] RealModuleTest.Llama3SpmdDumpParsesWhole
real_module_test.cc:50: Skipped
shared data not present: ../shared/data/hlo/llama3.txt
[  SKIPPED ] RealModuleTest.Llama3SpmdDumpParsesWhole (0 ms)
</system-out>
  </testcase>
  <testcase name="Off" classname="Off" time="0" status="disabled">
    <properties/><system-out>Disabled</system-out>
  </testcase>
  %s
</testsuite>
"""
MISSING = """<testcase name="Gone" classname="Gone" time="0" status="notrun">
    <skipped message="Unable to find executable"/><properties/>
    <system-out>Unable to find executable: build/dev/gone_test</system-out>
  </testcase>"""

PYTEST = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0"
 failures="0" skipped="1" tests="2"><testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a" name="test_tpu" time="0"><skipped type="pytest.skip"
 message="libtpu not installed">skip</skipped></testcase></testsuite></testsuites>"""


def _run(tmp_path, ctest: str) -> subprocess.CompletedProcess:
    (tmp_path / "ctest.xml").write_text(ctest)
    (tmp_path / "pytest.xml").write_text(PYTEST)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "ctest.xml"), str(tmp_path / "pytest.xml")],
        capture_output=True,
        text=True,
    )


def test_skips_are_skips_with_their_reason(tmp_path):
    out = _run(tmp_path, CTEST % "")
    assert out.returncode == 0, out.stdout
    assert out.stdout.splitlines()[-1] == "aoizora: 2 passed, 0 failed, 3 skipped"
    assert "Llama3SpmdDumpParsesWhole: shared data not present" in out.stdout
    assert "libtpu not installed" in out.stdout


def test_a_test_never_built_is_a_failure(tmp_path):
    out = _run(tmp_path, CTEST % MISSING)
    assert out.returncode == 1
    assert out.stdout.splitlines()[-1] == "aoizora: 2 passed, 1 failed, 3 skipped"
    assert "Gone: Unable to find executable" in out.stdout
