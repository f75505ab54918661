"""Human-readable outputs of a plan: the comparison table (terminal and markdown), the candidate
table (CSV), and the files written next to plan.json."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from aoizora.plan import PREDICTION_NOTE, save_plan
from aoizora.planner.explain import explain
from aoizora.planner.pipeline import PlanOutcome


def _constants_line(plan) -> str:
    """Which constants the predictions used: a calibration file's or the sourced table's."""
    from aoizora.calibrate.calibration_file import describe

    return describe(plan.calibration or {})


def measured_summary(plan) -> str:
    """What --measure found: the devices, the winner by measurement, how the ranking held."""
    m = plan.measured
    if m.get("error"):
        return f"Not measured: {m['error']}. The plan is the model's choice, unmeasured."
    w = m["winner"]
    rho = m.get("spearman_predicted_vs_measured")
    runner_ups = [r for r in plan.runner_ups if r.get("measured", {}).get("seconds")]
    return (
        f"Measured on {m['devices']}: median of {m['steps']} timed steps after {m['warmup']} "
        f"warm-up, random weights and inputs. Winner by measurement: {w['name']} "
        f"({w['candidate']}) at {w['seconds'] * 1e3:.2f} ms measured (predicted "
        f"{w['predicted_seconds'] * 1e3:.2f} ms); the plan measured {m['seconds'] * 1e3:.2f} ms"
        + ("" if m["plan_wins"] else " (the measurement picks another row)")
        + (f"; runner-ups measured: {len(runner_ups)}" if runner_ups else "")
        + (
            f"; Spearman rank correlation predicted vs measured {rho:+.2f}"
            if rho is not None
            else ""
        )
        + "."
    )


def comparison_rows(outcome: PlanOutcome) -> list[dict[str, Any]]:
    """Ours first, then each baseline, with the speed-up of ours over it."""
    plan = outcome.plan
    ours = plan.predicted["seconds"] if plan else None
    rows = []
    if plan is not None:
        rows.append(
            {
                "name": "aoizora (ours)",
                "candidate": plan.candidate,
                "cfg": _guidance(plan),
                "placement": "searched",
                "seconds": ours,
                "simulated_seconds": plan.predicted.get("simulated_seconds"),
                "speedup": 1.0,
                "note": "",
                "measured": (plan.measured or {}).get("seconds"),
            }
        )
    for b in outcome.baselines:
        secs = b["seconds"]
        if b["fits"] is False:
            note = (
                "does not fit: " + b["note"] if not b["note"].startswith("does not") else b["note"]
            )
        else:
            note = b["note"]
        rows.append(
            {
                "name": b["name"],
                "candidate": b["candidate"] or "-",
                "cfg": b.get("cfg") or "-",
                "placement": b["placement"],
                "seconds": secs if b["fits"] is not False else None,
                "simulated_seconds": b.get("simulated_seconds"),
                "speedup": (secs / ours) if (secs and ours and b["fits"] is not False) else None,
                "note": note,
                "measured": (b.get("measured") or {}).get("seconds"),
            }
        )
    if outcome.oracle and outcome.oracle.get("ran"):
        o = outcome.oracle
        rows.append(
            {
                "name": "oracle (all candidates x all permutations)",
                "candidate": o["candidate"],
                "cfg": "-",
                "placement": "exhaustive",
                "seconds": o["seconds"],
                "simulated_seconds": None,
                "speedup": (o["seconds"] / ours) if ours else None,
                "note": "",
                "measured": None,
            }
        )
    return rows


def _guidance(plan) -> str:
    from aoizora.models import Candidate, family_of

    return family_of(plan.model).guidance_schedule(Candidate.parse(plan.candidate))


def best_existing(outcome: PlanOutcome) -> dict[str, Any] | None:
    fitting = [
        b
        for b in outcome.baselines
        if b["existing_solution"] and b["fits"] is not False and b["seconds"] is not None
    ]
    return min(fitting, key=lambda b: b["seconds"]) if fitting else None


def _scenario_words(plan) -> str:
    """ "wan2.1-t2v-1.3b 480p 81 frames", "flux.1-dev 1024 batch 4"."""
    words = [plan.model, plan.resolution]
    if plan.frames is not None:
        words.append(f"{plan.frames} frames")
    if plan.batch != 1:
        words.append(f"batch {plan.batch}")
    return " ".join(words)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f}"


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def markdown(outcome: PlanOutcome) -> str:
    plan = outcome.plan
    out = io.StringIO()
    if plan is None:
        out.write("No candidate could be compiled and placed.\n")
        return out.getvalue()
    out.write(f"# Plan: {_scenario_words(plan)} on {plan.topology}\n\n")
    out.write(
        f"{PREDICTION_NOTE}\n\nCompiler: {plan.compiler}; attention: {plan.attention}; compute "
        f"source: {plan.compute_source} (docs/fidelity.md)\n\n"
    )
    out.write(_constants_line(plan) + "\n\n")
    measured = plan.measured is not None
    out.write(
        "| solution | candidate | CFG | placement | predicted step (ms) | SimGrid step (ms) | "
        "ours faster by | " + ("measured step (ms) | " if measured else "") + "note |\n"
    )
    out.write("|---|---|---|---|---|---|---|" + ("---|" if measured else "") + "---|\n")
    for r in comparison_rows(outcome):
        cells = [r["name"], r["candidate"], r["cfg"], r["placement"], _ms(r["seconds"])]
        cells += [_ms(r.get("simulated_seconds")), _x(r["speedup"])]
        cells += ([_ms(r["measured"])] if measured else []) + [r["note"]]
        out.write("| " + " | ".join(_md_cell(c) for c in cells) + " |\n")
    if measured:
        out.write("\n" + measured_summary(plan) + "\n")
    out.write(
        "\nCFG: parallel = a cfg mesh axis (each guidance pass on half the devices); batch = "
        "both passes as one batch of two on every device; sequential = one pass after the other "
        "(two forward programs per step). SimGrid step: the same step with its collectives "
        "timed by SimGrid, a simulator prediction (docs/simgrid.md). existing_solution rows: "
        + ", ".join(f"`{b['name']}`" for b in outcome.baselines if b["existing_solution"])
        + "; the others are ablations (docs/planner.md).\n"
    )
    out.write("\n## Why this plan\n\n")
    for para in explain(outcome):
        out.write(para + "\n\n")
    s = outcome.stats
    out.write(
        f"\nCandidates {s['candidates']}, lowered {s['lowered']}, pruned {s['pruned']} "
        f"(memory {s['pruned_memory']}, bound {s['pruned_bound']}), compiled {s['compiled']} "
        f"(+{s['compiled_for_baselines']} for baselines), failed {s['failed']}, placements "
        f"scored {s['placements_scored']}, wall {s['wall_seconds']:.1f} s.\n"
    )
    out.write(f"\nDevice order (chip coordinates of logical devices 0..N-1): {plan.device_order}\n")
    return out.getvalue()


def candidates_csv(outcome: PlanOutcome) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "candidate",
            "status",
            "q1_seconds",
            "q1_compute_seconds",
            "q1_comm_seconds",
            "param_bytes_per_device",
            "best_q2_seconds",
            "worst_placement_q2_seconds",
            "failure",
        ]
    )
    for r in sorted(outcome.records, key=lambda r: r.q1.get("seconds", float("inf"))):
        w.writerow(
            [
                r.label,
                r.status,
                r.q1.get("seconds"),
                r.q1.get("compute_seconds"),
                r.q1.get("comm_seconds"),
                r.q1.get("parameter_bytes_per_device"),
                r.best_seconds,
                r.worst_seconds,
                r.failure,
            ]
        )
    return out.getvalue()


def write_outputs(outcome: PlanOutcome, out_dir: str | Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if outcome.plan is not None:
        save_plan(outcome.plan, out_dir / "plan.json")
        written.append(out_dir / "plan.json")
    from aoizora.planner.figures import plan_figure

    picture = plan_figure(outcome, out_dir / "plan.png")
    if picture is not None:
        written.append(picture)
    (out_dir / "report.md").write_text(markdown(outcome))
    (out_dir / "candidates.csv").write_text(candidates_csv(outcome))
    written += [out_dir / "report.md", out_dir / "candidates.csv"]
    return written


# Short placement names for the terminal table; the legend under it gives the full ones.
_SHORT_PLACEMENT = {
    "jax.make_mesh": "make_mesh",
    "mesh_utils.create_device_mesh(allow_split_physical_axes=False)": "create_device_mesh",
    "device id order": "id order",
    "exhaustive": "exhaustive",
    "searched": "searched",
}


def _short(placement: str) -> str:
    return _SHORT_PLACEMENT.get(placement, placement)


def _comparison_table(rows: list[dict[str, Any]], marks: list[str], title: str, compact: bool):
    """The full table, or (``compact``, for terminals narrower than it) one that puts CFG and
    placement on a second line under each candidate."""
    from rich import box
    from rich.table import Table

    if not compact:
        t = Table(title=title)
        t.add_column("solution", overflow="fold")
        t.add_column("candidate", overflow="fold")
        t.add_column("CFG", overflow="fold")
        t.add_column("placement", overflow="fold")
        t.add_column("step (ms)", justify="right", no_wrap=True)
        t.add_column("SimGrid (ms)", justify="right", no_wrap=True)
        t.add_column("ours faster by", justify="right", overflow="fold")
        measured = any(r["measured"] is not None for r in rows)
        if measured:
            t.add_column("measured (ms)", justify="right", no_wrap=True)
        t.add_column("note", justify="right", no_wrap=True)
        for r, mark in zip(rows, marks, strict=True):
            t.add_row(
                r["name"],
                r["candidate"],
                r["cfg"],
                _short(r["placement"]),
                _ms(r["seconds"]),
                _ms(r.get("simulated_seconds")),
                _x(r["speedup"]),
                *([_ms(r["measured"])] if measured else []),
                mark,
            )
        return t
    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("solution", overflow="fold")
    t.add_column("candidate", overflow="fold")
    t.add_column("ms", justify="right", no_wrap=True)
    t.add_column("ours x", justify="right", no_wrap=True)
    for r, mark in zip(rows, marks, strict=True):
        t.add_row(r["name"], r["candidate"], _ms(r["seconds"]), _x(r["speedup"]))
        detail = f"CFG {r['cfg']}, {_short(r['placement'])}" + (f" {mark}" if mark else "")
        if r["measured"] is not None:
            detail += f", measured {_ms(r['measured'])} ms"
        t.add_row("", detail, "", "", style="dim", end_section=False)
    return t


def print_table(outcome: PlanOutcome, console) -> None:
    """The comparison on the terminal: labels whole in a pipe, folded (never cut) on a narrow
    terminal, which also gets a compact layout; notes as numbered lines under the table."""
    plan = outcome.plan
    if plan is None:
        console.print("[red]No candidate could be compiled and placed.[/red]")
        return
    title = (
        f"{plan.model} {plan.resolution} on {plan.topology}: predicted step latency "
        "(model prediction, not a measurement)"
    )
    rows = comparison_rows(outcome)
    notes: list[str] = []
    marks: list[str] = []
    placements: dict[str, str] = {}
    for r in rows:
        if _short(r["placement"]) != r["placement"]:
            placements[_short(r["placement"])] = r["placement"]
        if r["note"]:
            notes.append(r["note"])
        marks.append(f"[{len(notes)}]" if r["note"] else "")
    t = _comparison_table(rows, marks, title, compact=False)
    natural = console.measure(t, options=console.options.update_width(1 << 16)).maximum
    if natural > console.width:
        t = _comparison_table(rows, marks, title, compact=True)
    console.print(t)
    if any(r.get("simulated_seconds") is not None for r in rows):
        console.print(
            "SimGrid: the same step with its collectives timed by SimGrid (simulator prediction, "
            "docs/simgrid.md)",
            markup=False,
            highlight=False,
        )
    for i, note in enumerate(notes, 1):
        console.print(f"[{i}] {note}", markup=False, highlight=False)
    if placements:
        console.print(
            "placement: " + "; ".join(f"{k} = {v}" for k, v in placements.items()),
            markup=False,
            highlight=False,
        )
    be = best_existing(outcome)
    if be is not None:
        console.print(
            f"Best existing solution: {be['name']} ({be['candidate']}); ours is "
            f"{be['seconds'] / plan.predicted['seconds']:.2f}x faster (predicted).",
            markup=False,
            highlight=False,
        )
    s = outcome.stats
    console.print(
        f"candidates {s['candidates']} | lowered {s['lowered']} | pruned {s['pruned']} | "
        f"compiled {s['compiled']} (+{s['compiled_for_baselines']} for baselines) | "
        f"placements scored {s['placements_scored']} | wall {s['wall_seconds']:.1f} s | "
        f"compiler: {plan.compiler} | attention: {plan.attention} | compute: {plan.compute_source}",
        markup=False,
        highlight=False,
    )
    console.print(_constants_line(plan), markup=False, highlight=False)
    if plan.measured is not None:
        console.print(measured_summary(plan), markup=False, highlight=False)


def print_explanation(outcome: PlanOutcome, console) -> None:
    """``aoizora plan --explain``: why the plan wins, in plain words."""
    console.print()
    console.print("[bold]Why this plan[/bold]")
    for para in explain(outcome):
        console.print(para, markup=False, highlight=False)
        console.print()
