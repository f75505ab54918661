"""Adds up JUnit XML reports (ctest, pytest) into one closing line: 'N passed, N failed'.

A skipped test counts as skipped, with the reason it gave (a test that needs ../shared data skips
in a clone without it). ctest marks both a skipped test and one whose executable was never built
as "notrun"; only the first is a skip (its <skipped> message is SKIP_RETURN_CODE=... or
SKIP_REGULAR_EXPRESSION_MATCHED), anything else not run is a failure.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def _ctest_skip(case: ET.Element) -> bool:
    """A ctest "notrun" test that skipped itself (GTEST_SKIP, a skip return code)."""
    skipped = case.find("skipped")
    message = skipped.get("message", "") if skipped is not None else ""
    return message.startswith("SKIP_")


def _reason(case: ET.Element) -> str:
    """Why a test was skipped: pytest's message, or the test's own output (gtest's reason)."""
    skipped = case.find("skipped")
    text = skipped.get("message", "") if skipped is not None else ""
    out = case.findtext("system-out") or ""
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    # gtest prints "file:line: Skipped" and then the reason given to GTEST_SKIP() << ...
    said = [ln for ln in lines if "skip" not in ln.lower() and not ln.startswith("[")]
    if (not text or text.startswith("SKIP_")) and said:
        text = said[-1]
    return text or "no reason given"


def count(path: Path) -> tuple[int, int, int]:
    if not path.exists():
        print(f"missing report {path}")
        return 0, 1, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    for s in suites:
        for case in s.iter("testcase"):
            name = case.get("classname", "") + "." + case.get("name", "")
            status = case.get("status")  # ctest writes one; pytest does not
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif status == "notrun" and not _ctest_skip(case):
                failed += 1  # ctest: the executable was not built, a fixture failed, ...
                print(f"  not run (counted as failed): {name}: {_reason(case)}")
            elif status in ("notrun", "disabled") or case.find("skipped") is not None:
                skipped += 1
                print(f"  skipped: {name}: {_reason(case)}")
            else:
                passed += 1
    return passed, failed, skipped


def main() -> int:
    passed = failed = skipped = 0
    for arg in sys.argv[1:]:
        p, f, s = count(Path(arg))
        print(f"{Path(arg).name}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"aoizora: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
