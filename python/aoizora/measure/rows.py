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


# Seconds the measurement process may go without finishing a row (compile, warm-up and timed
# steps of one row) before it is stopped: a hung runtime must not hang the planner.
ROW_TIMEOUT_ENV = "AOIZORA_MEASURE_ROW_TIMEOUT"
DEFAULT_ROW_TIMEOUT_S = 1800.0
RUNNER = (sys.executable, "-m", "aoizora.measure.runner")  # + JOB.json RESULT.json


class MeasureFailed(RuntimeError):
    """The measurement process ended without a result (crash, timeout): the plan stands, its
    ``measured`` says why."""


def row_timeout_s() -> float:
    value = os.environ.get(ROW_TIMEOUT_ENV, str(DEFAULT_ROW_TIMEOUT_S))
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{ROW_TIMEOUT_ENV} must be a number of seconds > 0, got {value!r}")
    return seconds


def _runner_env(compiler: str) -> dict[str, str]:
    """The planner's environment, less what it set only to compile without a TPU when the
    runner is to use the TPU (libtpu's lock and metadata query are the runtime's business)."""
    from aoizora.compiler import env

    if compiler == "cpu":
        return dict(os.environ)
    return env.runtime_variables(os.environ)


def _spawn(job: dict[str, Any], on_line=None) -> dict[str, Any]:
    """Run the measurement process; ValueError (exit 2) when the devices are not the slice;
    MeasureFailed when it crashes or a row takes longer than :func:`row_timeout_s`."""
    import threading

    timeout = row_timeout_s()
    with tempfile.TemporaryDirectory(prefix="aoizora-measure-") as tmp:
        job_path, result_path = Path(tmp) / "job.json", Path(tmp) / "result.json"
        log_path = Path(tmp) / "stderr.txt"
        job_path.write_text(json.dumps(job))
        with open(log_path, "w") as log:  # the runtime's start-up noise stays out of the terminal
            proc = subprocess.Popen(
                [*RUNNER, str(job_path), str(result_path)],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=_runner_env(job["compiler"]),
            )
            assert proc.stdout is not None
            lines: list[str] = []
            progressed = threading.Event()

            def read() -> None:
                try:
                    for line in proc.stdout:
                        lines.append(line)
                        progressed.set()
                finally:
                    progressed.set()  # the end of output wakes the wait too

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            handled, timed_out = 0, False
            while reader.is_alive() or handled < len(lines):
                got = progressed.wait(timeout)
                progressed.clear()
                while handled < len(lines):
                    line = lines[handled]
                    handled += 1
                    if on_line and line.startswith("{"):
                        on_line(json.loads(line))
                if not got and reader.is_alive():
                    timed_out = True
                    proc.kill()
                    break
            rc = proc.wait()
        if timed_out:
            raise MeasureFailed(
                f"the measurement process finished no row in {timeout:.0f} s and was stopped "
                f"({ROW_TIMEOUT_ENV} sets the limit)"
            )
        if rc != 0 or not result_path.exists():
            tail = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
            raise MeasureFailed(
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
    """Run the rows, write ``measured`` into each row of ``plan`` and ``plan.measured``. A
    measurement that fails (the process, or the plan's own row) never loses the plan:
    ``plan.measured`` is then ``{"error": why, ...}`` and the rows that ran keep their results."""
    pairs = plan_rows(p, plan, n)
    job = _job(p.req.compiler, p.topology, False, [r for r, _ in pairs], warmup, steps)
    with progress.stage("measure", total=len(pairs)) as tick:
        try:
            result = _spawn(
                job,
                on_line=lambda m: tick(
                    f"{m['row']}: "
                    + (
                        "failed"
                        if m["seconds"] is None
                        else f"{m['seconds'] * 1e3:.2f} ms measured"
                    )
                ),
            )
        except MeasureFailed as e:
            progress.log(f"--measure: {e}; the plan is written without measurements")
            plan.measured = _failed(str(e), warmup, steps)
            return plan.measured
    rows = []
    for (row, target), out in zip(pairs, result["rows"], strict=True):
        entry = {**out, "predicted_seconds": row["predicted_seconds"]}
        if target is not None:
            target["measured"] = entry if "seconds" in out else {"error": out.get("error", "")}
        rows.append((row, entry))
    ok = [(row, e) for row, e in rows if "seconds" in e]
    if "seconds" not in rows[0][1]:
        why = "the plan's own step could not be measured: " + rows[0][1].get("error", "no result")
        progress.log(f"--measure: {why}")
        plan.measured = _failed(why, warmup, steps, devices=result["devices"])
        plan.measured["rows"] = _row_summaries(rows)
        return plan.measured
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
        "rows": _row_summaries(rows),
        "spearman_predicted_vs_measured": _spearman(
            [(row["predicted_seconds"], e["seconds"]) for row, e in ok]
        ),
        "note": "measured on the devices present: median of the timed steps after warm-up "
        "(random weights and inputs of the scenario's shapes and dtypes)",
    }
    return plan.measured


def _row_summaries(rows) -> list[dict[str, Any]]:
    return [
        {
            "name": row["name"],
            "candidate": row["candidate"],
            "predicted_seconds": row["predicted_seconds"],
            "measured_seconds": e.get("seconds"),
            "error": e.get("error", ""),
        }
        for row, e in rows
    ]


def _failed(why: str, warmup: int, steps: int, devices: str | None = None) -> dict[str, Any]:
    return {
        "error": why,
        "devices": devices,
        "warmup": warmup,
        "steps": steps,
        "note": "the measurement failed; the plan is the model's choice, unmeasured",
    }
