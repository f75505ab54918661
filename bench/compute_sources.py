"""Per-op comparison of the two compute sources of the step model (issue 10 item 5): libtpu's own
per-instruction estimate (``estimated_cycles`` at the TensorCore clock) and our roofline, on every
module the plan benchmark compiled (build/bench-cache/<scenario>, filled by bench/plan_bench.py).

    .venv/bin/python bench/plan_bench.py            # fills the caches
    .venv/bin/python bench/compute_sources.py       # writes bench/results/compute-sources.md

For each scenario: the compute of every compiled candidate under both sources, per op class
(Pallas kernels, matmul fusions, elementwise/reduction fusions, copies) and the ops where the two
disagree most (by absolute seconds per step). Both columns are model predictions, not
measurements: where they disagree, neither is known to be right without a measurement.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

from plan_bench import SCENARIOS  # noqa: E402


def op_class(op: dict) -> str:
    if op["opcode"] == "custom-call":
        return "Pallas kernel"
    if op["matmul"]:
        return "matmul fusion"
    if op["opcode"] in ("copy", "transpose", "copy-start", "copy-done") or "copy" in op["name"]:
        return "copy / relayout"
    return "elementwise / reduction"


def modules(scenario: str):
    """(candidate label, compiled HLO text) of every cached compile of the scenario."""
    for d in sorted((ROOT / "build" / "bench-cache").glob(f"{scenario}*")):
        for path in sorted(d.rglob("*.json")):
            try:
                entry = json.loads(path.read_text())
                text = entry["result"]["hlo_text"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if text:
                yield entry.get("candidate", path.stem), text


def step_under_both(label: str, text: str, topo: str) -> tuple[float, float] | None:
    """The candidate's best-placement step (Q2) under the compiler and the roofline source."""
    from aoizora import _core
    from aoizora.models import Candidate

    try:
        cand = Candidate.parse(label)
    except ValueError:
        return None
    shape, names = list(cand.mesh_shape()), list(cand.axis_names())
    return tuple(
        _core.rank_placements(text, topo, shape, names, top=1, compute=source)["placements"][0][
            "seconds"
        ]
        for source in ("compiler", "roofline")
    )


def compare(scenario: str) -> dict | None:
    from aoizora import _core

    topo = SCENARIOS[scenario][2]
    per_class = defaultdict(lambda: [0.0, 0.0])  # class -> [compiler, roofline] over modules
    totals, worst, steps = [], [], []
    for label, text in modules(scenario):
        prof = _core.compute_profile(text, topo, top=100000, compute="compiler")
        if prof["compiler_estimate_seconds"] is None:
            continue
        totals.append((label, prof["compiler_estimate_seconds"], prof["roofline_seconds"]))
        both = step_under_both(label, text, topo)
        if both is not None:
            steps.append((label, *both))
        for op in prof["ops"]:
            comp = op["compiler_seconds_each"]
            comp = op["roofline_seconds_each"] if comp is None else comp
            c = per_class[op_class(op)]
            c[0] += comp * op["count"]
            c[1] += op["roofline_seconds_each"] * op["count"]
            worst.append(
                (
                    abs(comp - op["roofline_seconds_each"]) * op["count"],
                    label,
                    op["name"],
                    op_class(op),
                    op["count"],
                    comp,
                    op["roofline_seconds_each"],
                    op["bound"],
                )
            )
    if not totals:
        return None
    worst.sort(reverse=True)
    return {"totals": totals, "per_class": dict(per_class), "worst": worst[:8], "steps": steps}


def main() -> int:
    from aoizora.compiler import env

    env.configure()
    md = [
        "# Compute sources per op: libtpu's estimate vs our roofline",
        "",
        "Model predictions only (neither is a measurement). Regenerate: "
        "`.venv/bin/python bench/compute_sources.py` after `bench/plan_bench.py`. Seconds are per "
        "denoising step per device, summed over every module the plan benchmark compiled for the "
        "scenario (its candidates and baselines). 'compiler' takes libtpu's estimate where the op "
        "has one and the roofline elsewhere (Pallas kernels carry none).",
        "",
    ]
    for scenario in SCENARIOS:
        result = compare(scenario)
        if result is None:
            continue
        md += [f"## {scenario} ({SCENARIOS[scenario][2]}, {len(result['totals'])} modules)", ""]
        md += ["| op class | compiler s | roofline s | compiler / roofline |", "|---|---|---|---|"]
        for cls, (comp, roof) in sorted(result["per_class"].items(), key=lambda kv: -kv[1][0]):
            ratio = f"{comp / roof:.2f}" if roof > 0 else "-"
            md.append(f"| {cls} | {comp:.3f} | {roof:.3f} | {ratio} |")
        ratios = sorted(c / r for _, c, r in result["totals"] if r > 0)
        md += [
            "",
            f"Per module, compiler / roofline compute: median {ratios[len(ratios) // 2]:.2f}, "
            f"range {ratios[0]:.2f}-{ratios[-1]:.2f}.",
        ]
        steps = result["steps"]
        if len(steps) >= 3:
            from scipy.stats import spearmanr

            rho = spearmanr([s[1] for s in steps], [s[2] for s in steps]).statistic
            best_c = min(steps, key=lambda s: s[1])
            best_r = min(steps, key=lambda s: s[2])
            md += [
                "",
                f"Step (best placement) of the {len(steps)} compiled candidates under both "
                f"sources: Spearman {rho:.2f}; fastest by compiler {best_c[0]} "
                f"({best_c[1] * 1e3:.1f} ms), by roofline {best_r[0]} ({best_r[2] * 1e3:.1f} ms)"
                + (" (the same)." if best_c[0] == best_r[0] else " (they differ)."),
            ]
        md += [
            "",
            "Largest disagreements (seconds per step):",
            "",
            "| candidate | op | class | count | compiler ms each | roofline ms each | "
            "roofline side |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, label, name, cls, count, comp, roof, bound in result["worst"]:
            md.append(
                f"| {label} | {name} | {cls} | {count:g} | {comp * 1e3:.3f} | {roof * 1e3:.3f} "
                f"| {bound} |"
            )
        md.append("")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "compute-sources.md").write_text("\n".join(md) + "\n")
    print(f"wrote {RESULTS / 'compute-sources.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
