"""Adds up JUnit XML reports (ctest, pytest) into one closing line: 'N passed, N failed'."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(path: Path) -> tuple[int, int, int]:
    if not path.exists():
        print(f"missing report {path}")
        return 0, 1, 0
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = skipped = 0
    for s in suites:
        total += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0)) + int(s.get("disabled", 0))
        # ctest marks a test whose executable failed to build as "notrun": that is a failure.
        notrun = sum(1 for c in s.iter("testcase") if c.get("status") == "notrun")
        failed, skipped = failed + notrun, skipped - notrun
    return total - failed - skipped, failed, skipped


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
