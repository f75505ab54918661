"""Issue 14's check that the model-family refactor left Wan's results alone: re-plan every
scenario of bench/plan_bench.py from a warm compile cache (the bench's, ``--cache-root``) and
compare the plan and the baseline rows with bench/results/plan.csv (written by an earlier commit).
Zero fresh compiles also shows the compile cache keys (the lowered text) did not change.
Latencies are model predictions. Writes bench/results/refactor-check.md.

    .venv/bin/python bench/refactor_check.py --cache-root build/bench-cache
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from plan_bench import SCENARIOS  # noqa: E402

BASELINE_COLUMNS = {
    "alpha-beta": "alpha_beta_ms",
    "maxdiffusion-default": "maxdiffusion_default_ms",
    "maxdiffusion-readme": "maxdiffusion_readme_ms",
    "wan-official": "wan_official_ms",
}


def _same(new_seconds: float | None, old_cell: str) -> bool:
    if new_seconds is None:
        return not old_cell[:1].isdigit()  # both say why there is no number
    return f"{new_seconds * 1e3:.1f}" == old_cell


def main() -> int:
    from aoizora.planner import PlanRequest, run_plan

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-root", default=str(ROOT / "build" / "bench-cache"))
    args = ap.parse_args()
    with open(ROOT / "bench/results/plan.csv", newline="") as f:
        old = {r["scenario"]: r for r in csv.DictReader(f)}
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    lines = [
        "# Wan results across the model-family refactor (issue 14)",
        "",
        f"Every bench scenario re-planned at {head} from the warm compile cache of the bench run "
        "that wrote plan.csv, compared with plan.csv. Model predictions (ms).",
        "",
        "| scenario | ours (plan.csv) | ours (now) | same candidate | baseline rows equal | "
        "fresh compiles |",
        "|---|---|---|---|---|---|",
    ]
    for name, (model, res, topo) in SCENARIOS.items():
        t0 = time.perf_counter()
        req = PlanRequest(model=model, resolution=res, frames=81, topology=topo, k=4)
        req.cache_dir = str(Path(args.cache_root) / name)
        outcome = run_plan(req)
        row = old[name]
        same = [
            _same(b["seconds"], row[BASELINE_COLUMNS[b["name"]]])
            for b in outcome.baselines
            if b["name"] in BASELINE_COLUMNS
        ]
        ours = outcome.plan.predicted["seconds"] * 1e3
        lines.append(
            f"| {name} | {row['ours_ms']} | {ours:.1f} | "
            f"{'yes' if outcome.plan.candidate == row['ours_candidate'] else 'NO'} | "
            f"{sum(same)}/{len(same)} | {outcome.stats['fresh_compiles']} |"
        )
        print(lines[-1], f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    out = ROOT / "bench" / "results" / "refactor-check.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
