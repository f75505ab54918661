"""Why the plan wins, in plain words (``aoizora plan --explain`` and report.md): where the
winner's predicted step goes (compute, exposed communication, memory), what the runner-up and the
best existing solution lack, what placement adds, and what was not compiled. Every number is a
model prediction."""

from __future__ import annotations

from typing import Any

from aoizora.planner.session import memory_note

_GB = 1e9


def _ms(seconds: float) -> str:
    ms = abs(seconds) * 1e3
    text = f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 1 else f"{ms:.3g}"
    return ("-" if seconds < 0 else "") + text + " ms"


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole > 0 else "-"


def _signed_ms(seconds: float) -> str:
    return ("+" if seconds >= 0 else "-") + _ms(abs(seconds))


def _bytes(n: float) -> str:
    return f"{n / _GB:.1f} GB" if n >= 0.1 * _GB else f"{n / 1e6:.0f} MB"


def _top(rows: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    rows = [r for r in rows or [] if r.get("seconds", 0) > 0]
    return max(rows, key=lambda r: r["seconds"]) if rows else None


def _parts(b: dict[str, Any]) -> tuple[float, float, float]:
    """(compute, exposed communication, all communication) seconds of a breakdown."""
    return (
        float(b.get("compute_seconds", 0.0)),
        float(b.get("exposed_comm_seconds", 0.0)),
        float(b.get("comm_seconds", 0.0)),
    )


def _where(b: dict[str, Any]) -> str:
    """'mostly all-to-all over ulysses (30.1 ms)' for the largest exposed kind and axes."""
    kind, axes = _top(b.get("exposed_by_kind")), _top(b.get("exposed_by_axes"))
    if kind is None:
        return ""
    over = f" over {axes['name']}" if axes is not None and axes.get("name") else ""
    return f"mostly {kind['name']}{over} ({_ms(kind['seconds'])})"


def _memory(rec: Any) -> str:
    mem = getattr(getattr(rec, "compile", None), "memory", None)
    if mem is None:
        return ""
    return f"{_bytes(mem.peak_bytes)} of {_bytes(mem.hbm_bytes)} HBM per device"


def _step(label: str, seconds: float, b: dict[str, Any]) -> str:
    compute, exposed, comm = _parts(b)
    text = (
        f"{label}: {_ms(seconds)} per step, {_ms(compute)} compute ({_pct(compute, seconds)}) and "
        f"{_ms(exposed)} exposed communication"
    )
    if comm > 0:
        text += f" (of {_ms(comm)} in all, {_pct(comm - exposed, comm)} hidden behind compute"
        where = _where(b)
        text += f"; {where})" if where else ")"
    return text


def _versus(ours_s: float, ours_b: dict[str, Any], other_s: float, other_b: dict[str, Any]) -> str:
    """Which part of the step the other solution loses on."""
    c0, e0, _ = _parts(ours_b)
    c1, e1, _ = _parts(other_b)
    dc, de = c1 - c0, e1 - e0
    parts = f"compute {_signed_ms(dc)}, exposed communication {_signed_ms(de)}"
    if abs(other_s - ours_s) <= 1e-9 * max(ours_s, other_s, 1e-30):
        return f"{parts}: it ties with the plan (the same program and cost)"
    if abs(dc) >= abs(de):
        why = "more compute" if dc > 0 else "less compute, but more exposed communication"
    else:
        why = "more exposed communication" if de > 0 else "less communication, but more compute"
        if de > 0 and (where := _where(other_b)):
            why += f" ({where})"
    return f"{parts}: it loses on {why}"


def _runner_up(outcome: Any, best: Any) -> Any:
    """The best ranked candidate with other parallel degrees than the winner's (a weight-sharding
    variant of the winner tells less), else the best other ranked candidate."""
    ranked = sorted(
        (r for r in outcome.records if r.best_seconds is not None and r is not best),
        key=lambda r: r.best_seconds,
    )
    other_family = [
        r for r in ranked if r.candidate.degrees_label() != best.candidate.degrees_label()
    ]
    return (other_family or ranked or [None])[0]


def explain(outcome: Any) -> list[str]:
    """Paragraphs (plain text, no markup) on why the plan's choice wins."""
    plan = outcome.plan
    if plan is None:
        return ["No candidate could be compiled and placed, so there is nothing to explain."]
    best = next((r for r in outcome.records if r.label == plan.candidate), None)
    ours_s = float(plan.predicted["seconds"])
    ours_b = plan.predicted.get("breakdown", {})
    out = []

    head = _step(f"The plan, {plan.candidate}", ours_s, ours_b)
    if best is not None and (mem := _memory(best)):
        head += f"; peak memory {mem}"
    out.append(head + ". All figures are model predictions.")

    if best is not None:
        ru = _runner_up(outcome, best)
        if ru is not None:
            ru_b = ru.ranking["placements"][0].get("breakdown", {})
            ru_s = float(ru.best_seconds)
            text = f"Runner-up {ru.label}: {_ms(ru_s)} ({ru_s / ours_s:.3f}x the plan); " + _versus(
                ours_s, ours_b, ru_s, ru_b
            )
            if mem := _memory(ru):
                text += f"; it needs {mem}"
            out.append(text + ".")
        unfit = [
            r
            for r in outcome.records
            if r.does_not_fit or (r.q1 and not r.q1.get("fits_memory", True))
        ]
        faster_unfit = [r for r in unfit if r.q1 and r.q1.get("estimate_seconds", 1e30) < ours_s]
        if faster_unfit:
            ex = min(faster_unfit, key=lambda r: r.q1["estimate_seconds"])
            reason = memory_note(ex.compile) if ex.does_not_fit else ex.q1.get("memory_reason", "")
            out.append(
                f"{len(faster_unfit)} candidate(s) whose estimate beats the plan do not fit in "
                f"memory, e.g. {ex.label} (estimate {_ms(ex.q1['estimate_seconds'])}; {reason})."
            )

    existing = [
        b
        for b in outcome.baselines
        if b.get("existing_solution") and b.get("seconds") is not None and b.get("fits")
    ]
    if existing:
        be = min(existing, key=lambda b: b["seconds"])
        cfg = f", CFG {be['cfg']}" if be.get("cfg") else ""
        out.append(
            f"Best existing solution {be['name']} ({be['candidate']}{cfg}, {be['placement']}): "
            f"{_ms(be['seconds'])}, the plan is {be['seconds'] / ours_s:.3f}x faster; "
            + _versus(ours_s, ours_b, be["seconds"], be.get("breakdown", {}))
            + "."
        )
    cannot = [
        b["name"] for b in outcome.baselines if b.get("existing_solution") and not b["seconds"]
    ]
    if cannot:
        out.append(
            f"Not comparable here: {', '.join(cannot)} (the table's note says why: it cannot run "
            "on this slice, does not fit, or its mesh cannot be built)."
        )

    ablations = {b["name"]: b for b in outcome.baselines if b["name"].startswith("ours+")}
    gains = [
        f"{name.removeprefix('ours+')} {b['seconds'] / ours_s:.3f}x"
        for name, b in ablations.items()
        if b.get("seconds")
    ]
    if gains:
        worst = plan.predicted.get("worst_placement_seconds")
        text = "Placement: the searched device order against the same sharding under " + (
            ", ".join(gains)
        )
        if worst:
            text += f"; the worst order of the searched space is {worst / ours_s:.3f}x"
        out.append(text + ".")

    s = outcome.stats
    if s.get("mode") == "topk" and s.get("compiled", 0) < s.get("lowered", 0):
        out.append(
            f"Top-K mode compiled {s['compiled']} of {s['lowered']} candidates (the best estimate "
            "of each parallel layout first); `--mode exact` compiles every candidate that can "
            "still win."
        )
    return out
