"""Which rows ``--measure N`` runs, running them (in :mod:`aoizora.measure.runner`'s process),
and writing the results into the plan: ``measured`` per row, the winner by measurement, and
how well the predictions ranked the rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

OURS = "aoizora (ours)"
DEFAULT_WARMUP, DEFAULT_STEPS = 2, 5


def _job(compiler: str, topology, probe: bool, rows: list, warmup: int, steps: int) -> dict:
    return {
        "compiler": compiler,
        "topology": str(topology),
        "num_devices": int(topology.num_devices),
        "device_kind": str(topology.device_kind),
        "probe": probe,
        "warmup": warmup,
        "steps": steps,
        "rows": rows,
    }


def _spawn(job: dict[str, Any], on_line=None) -> dict[str, Any]:
    """Run the measurement process; ValueError (exit 2) when the devices are not the slice."""
    with tempfile.TemporaryDirectory(prefix="aoizora-measure-") as tmp:
        job_path, result_path = Path(tmp) / "job.json", Path(tmp) / "result.json"
        log_path = Path(tmp) / "stderr.txt"
        job_path.write_text(json.dumps(job))
        with open(log_path, "w") as log:  # the runtime's start-up noise stays out of the terminal
            proc = subprocess.Popen(
                [sys.executable, "-m", "aoizora.measure.runner", str(job_path), str(result_path)],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=dict(os.environ),
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                if on_line and line.startswith("{"):
                    on_line(json.loads(line))
            rc = proc.wait()
        if rc != 0 or not result_path.exists():
            tail = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
            raise RuntimeError(
                f"the measurement process failed (exit {rc}): {tail[-1] if tail else 'no output'}"
            )
        result = json.loads(result_path.read_text())
    if "bad_input" in result:
        raise ValueError(result["bad_input"])
    return result


def check_devices(compiler: str, topology) -> str:
    """Before planning: the devices present must be the plan's slice (ValueError otherwise, so
    the refusal comes before a long plan). Returns their description."""
    return _spawn(_job(compiler, topology, True, [], 0, 1))["devices"]


def _row(name, rec, workload, coords, p, predicted) -> dict[str, Any]:
    cand = rec.candidate
    return {
        "name": name,
        "candidate": cand.label(),
        "mesh_shape": list(cand.mesh_shape()),
        "axis_names": list(cand.axis_names()),
        "factory": workload.factory,
        "kwargs": [list(kv) for kv in workload.kwargs],
        "device_order": [list(c) for c in coords],
        "device_ids": [int(i) for i in p.topology.ids_of([list(c) for c in coords])],
        "lowered_sha256": rec.lowered.sha256 if rec.lowered is not None else "",
        "predicted_seconds": predicted,
    }


def plan_rows(p, plan, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(row to run, the plan.json object its result goes into): the plan, the N-1 best
    runner-ups, and every baseline row that was scored (a device order and a program)."""
    from aoizora.models import Candidate

    out = []
    best = p.record_for(Candidate.parse(plan.candidate))
    plan_obj = {"device_order": plan.device_order, "seconds": plan.predicted["seconds"]}
    out.append((_row(OURS, best, p.workload, plan.device_order, p, plan_obj["seconds"]), None))
    for i, ru in enumerate(plan.runner_ups[: max(0, n - 1)]):
        rec = p.record_for(Candidate.parse(ru["candidate"]))
        if rec is not None and rec.compiled is not None:
            name = f"runner-up {i + 1}"
            out.append((_row(name, rec, p.workload, ru["device_order"], p, ru["seconds"]), ru))
    recipes = {r.name: r for r in p.family.recipes(p.scenario, p.num_devices)}
    for b in plan.baselines:
        if b.get("seconds") is None or not b.get("device_order") or not b.get("candidate"):
            continue
        cand = Candidate.parse(b["candidate"])
        recipe = recipes.get(b["name"])
        if recipe is not None and recipe.variant:
            rec = p.variant(recipe.candidate, recipe.variant)
            workload = p.variant_workload(recipe.variant)
        else:
            rec, workload = p.record_for(cand), p.workload
        if rec is None:
            continue
        out.append((_row(b["name"], rec, workload, b["device_order"], p, b["seconds"]), b))
    return out


def _spearman(pairs: list[tuple[float, float]]) -> float | None:
    if len(pairs) < 3:
        return None
    from scipy.stats import spearmanr

    rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic
    return None if rho != rho else float(rho)  # NaN: every value tied


def measure_plan(
    p,
    plan,
    n: int,
    progress,
    *,
    warmup: int = DEFAULT_WARMUP,
    steps: int = DEFAULT_STEPS,
) -> dict[str, Any]:
    """Run the rows, write ``measured`` into each row of ``plan`` and ``plan.measured``."""
    pairs = plan_rows(p, plan, n)
    job = _job(p.req.compiler, p.topology, False, [r for r, _ in pairs], warmup, steps)
    with progress.stage("measure", total=len(pairs)) as tick:
        result = _spawn(
            job,
            on_line=lambda m: tick(
                f"{m['row']}: "
                + ("failed" if m["seconds"] is None else f"{m['seconds'] * 1e3:.2f} ms measured")
            ),
        )
    rows = []
    for (row, target), out in zip(pairs, result["rows"], strict=True):
        entry = {**out, "predicted_seconds": row["predicted_seconds"]}
        if target is not None:
            target["measured"] = entry if "seconds" in out else {"error": out.get("error", "")}
        rows.append((row, entry))
    ok = [(row, e) for row, e in rows if "seconds" in e]
    if not ok or "seconds" not in rows[0][1]:
        raise RuntimeError(
            "the plan's own step could not be measured: " + rows[0][1].get("error", "no result")
        )
    win_row, win = min(ok, key=lambda x: x[1]["seconds"])
    ours = rows[0][1]
    plan.measured = {
        "seconds": ours["seconds"],
        "runs": ours["runs"],
        "min_seconds": ours["min_seconds"],
        "max_seconds": ours["max_seconds"],
        "same_program": ours["same_program"],
        "devices": result["devices"],
        "warmup": warmup,
        "steps": steps,
        "winner": {
            "name": win_row["name"],
            "candidate": win_row["candidate"],
            "device_order": win_row["device_order"],
            "seconds": win["seconds"],
            "predicted_seconds": win_row["predicted_seconds"],
        },
        "plan_wins": win_row["name"] == OURS,
        "rows": [
            {
                "name": row["name"],
                "candidate": row["candidate"],
                "predicted_seconds": row["predicted_seconds"],
                "measured_seconds": e.get("seconds"),
                "error": e.get("error", ""),
            }
            for row, e in rows
        ],
        "spearman_predicted_vs_measured": _spearman(
            [(row["predicted_seconds"], e["seconds"]) for row, e in ok]
        ),
        "note": "measured on the devices present: median of the timed steps after warm-up "
        "(random weights and inputs of the scenario's shapes and dtypes)",
    }
    return plan.measured
