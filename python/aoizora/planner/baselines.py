"""Baselines and ablations of ``aoizora plan``, every one scored by the same Q2 with the same
attention and compute source as the plan (docs/planner.md, "Baselines"):

- ``alpha-beta``: the candidate a topology-blind per-axis alpha-beta cost picks (the cost shape of
  XLA's and Alpa's auto-sharding, reimplemented: XLA's pass cannot run on this stack), placed by
  ``jax.make_mesh``. Not an existing solution: nobody runs it; it shows what a topology-blind
  automatic choice gives.
- placement ablations, our sharding under ``jax.make_mesh`` (``ours+make_mesh``), under
  ``mesh_utils.create_device_mesh`` (``ours+create_device_mesh``) and in device-id order
  (``ours+id-order``): what the placement search alone buys;
- existing solutions as their users get them: the recipes of the model's family
  (``ModelFamily.recipes``, e.g. ``models/<family>/recipes.py``). A recipe that cannot run on the
  slice is a row that says why, never a substitute;
- ``oracle`` (small slices, on request): every candidate compiled, every permutation scored.

Every row is a registry entry (:class:`Baseline`: name, candidate rule, placement method,
source): the planner's own rows are :data:`PLANNER_BASELINES`, the existing systems' rows come
from the family's recipes (:func:`registry`). A new baseline is one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aoizora.baselines import recipes as rc
from aoizora.models.family import Recipe

ALPHA_BETA = "alpha-beta"
ABLATIONS = ("ours+make_mesh", "ours+create_device_mesh", "ours+id-order")
PLANNER_ROWS = (ALPHA_BETA, *ABLATIONS)
RECIPE_MESH = "the recipe's own mesh code"  # placement of an existing system's row

_ABLATION_METHOD = {
    "ours+make_mesh": rc.MAKE_MESH,
    "ours+create_device_mesh": rc.CREATE_DEVICE_MESH,
    "ours+id-order": rc.ID_ORDER,
}
ALPHA_BETA_SOURCE = (
    "reimplemented: per-collective alpha + beta x bytes on every mesh axis alike plus FLOPs at "
    "peak, the cost shape of XLA/Alpa auto-sharding (XLA's pass cannot run on jax 0.10 + libtpu: "
    "docs/planner.md)"
)


@dataclass(frozen=True)
class Baseline:
    """One row of the baselines table: ``evaluate(session, best)`` applies the candidate rule
    (which sharding) and the placement method (which device order) and scores the row under the
    plan's Q2; ``existing_solution``: a system people run (not an ablation of ours)."""

    name: str
    placement: str  # a method of aoizora.baselines.recipes, or RECIPE_MESH
    source: str
    evaluate: Callable[[Any, Any], dict[str, Any]]
    existing_solution: bool = False
    needs_plan: bool = False  # an ablation of the plan's candidate: no row without a plan


def _row(
    name: str,
    candidate: str | None,
    placement: str,
    note: str = "",
    *,
    cfg: str = "",
    source: str = "",
    existing: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "candidate": candidate,
        "placement": placement,
        "seconds": None,
        "fits": None,
        "note": note,
        "device_order": None,
        "existing_solution": existing,
        "cfg": cfg,
        "source": source,
    }


def _cfg_of(p, cand) -> str:
    return p.family.guidance_schedule(cand)


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _score_record(p, rec, row: dict[str, Any], placement: str, coords) -> dict[str, Any]:
    """Score a compiled record at ``coords`` (None: ``placement``'s order of the candidate)."""
    if rec.compile is None or rec.compile.hlo_text == "" or not rec.compile.ok:
        row["fits"] = not rec.does_not_fit
        row["note"] = _join(row["note"], rec.failure or "not compiled")
        return row
    row["fits"] = True
    if coords is None:
        cand = rec.candidate
        where = rc.place(placement, p.topology_name, cand.mesh_shape(), cand.axis_names())
        if not where.ok:
            row["note"] = _join(row["note"], where.error)
            return row
        coords = where.device_coords
    scored = p.score(rec, coords)
    row["seconds"] = scored["seconds"]
    row["simulated_seconds"] = p.simulate(rec, coords)
    row["breakdown"] = scored
    row["device_order"] = coords
    return row


def _memory_refusal(rec) -> str:
    """The pre-compile memory bound's verdict when the record was not compiled, else ''."""
    if rec.q1 and not rec.q1["fits_memory"] and rec.compile is None:
        return rec.q1["memory_reason"]
    return ""


def _candidate_row(p, row: dict[str, Any], cand, coords=None) -> dict[str, Any]:
    """Compile (if needed) one of our candidates and score it under the row's placement."""
    rec = p.record_for(cand)
    if rec is None:
        row["note"] = _join(row["note"], f"{cand.label()} is not a valid candidate here")
        return row
    if not rec.q1:
        if rec.failure:  # lowering failed
            row["note"] = _join(row["note"], rec.failure)
            return row
        p.lower_and_bound([rec])
    if why := _memory_refusal(rec):
        row["fits"], row["note"] = False, _join(row["note"], why)
        return row
    p.ensure_compiled(rec)
    return _score_record(p, rec, row, row["placement"], coords)


def alpha_beta_order(p) -> list:
    """Candidates that pass the memory bound, by topology-blind alpha-beta cost (lowest first)."""
    fitting = [r for r in p.records if r.q1 and r.q1["fits_memory"]]
    return sorted(fitting, key=lambda r: r.q1["alpha_beta_seconds"])


def alpha_beta_row(p) -> dict[str, Any]:
    # An auto-sharder solves under a memory constraint: if its first choice does not fit after
    # compile, it would pick the next one, so we do too.
    for rec in alpha_beta_order(p):
        row = _row(
            ALPHA_BETA,
            rec.label,
            rc.MAKE_MESH,
            cfg=_cfg_of(p, rec.candidate),
            source=ALPHA_BETA_SOURCE,
        )
        row = _candidate_row(p, row, rec.candidate)
        if row["fits"] is not False:
            return row
    return _row(
        ALPHA_BETA, None, rc.MAKE_MESH, "no candidate fits memory", source=ALPHA_BETA_SOURCE
    )


def ours_row(p, best, name: str) -> dict[str, Any]:
    """Our sharding under one placement method JAX users reach for (a placement ablation)."""
    row = _row(name, best.label, _ABLATION_METHOD[name], cfg=_cfg_of(p, best.candidate))
    return _candidate_row(p, row, best.candidate)


def ours_rows(p, best) -> list[dict[str, Any]]:
    return [ours_row(p, best, name) for name in ABLATIONS]


def recipe_row(p, r: Recipe) -> dict[str, Any]:
    """An existing solution's row: its candidate, compiled as it runs (its workload variant),
    at its own mesh's device order; or why it cannot run here."""
    row = _row(r.name, r.label, r.placement, r.note, cfg=r.schedule, source=r.source, existing=True)
    if not r.runs:
        return row
    where = rc.recipe_placement(r, p.topology_name)
    if not where.ok:
        row["note"] = _join(row["note"], where.error)
        return row
    if not r.variant:
        return _candidate_row(p, row, r.candidate, where.device_coords)
    row["note"] = _join(row["note"], r.variant_note)
    rec = p.variant(r.candidate, r.variant)
    if rec.failure and not rec.q1:
        row["note"] = _join(row["note"], rec.failure)
        return row
    if why := _memory_refusal(rec):
        row["fits"], row["note"] = False, _join(row["note"], why)
        return row
    p.ensure_variant_compiled(rec)
    return _score_record(p, rec, row, r.placement, where.device_coords)


def _needs_compile(p, rec) -> bool:
    if rec is None or rec.compile is not None or rec.failure:
        return False
    if not rec.q1:
        p.lower_and_bound([rec])
    return bool(rec.q1) and rec.q1["fits_memory"]


def _prefetch(p, recipes: list[Recipe]) -> None:
    """Compile, in one parallel batch, what the rows below will need: alpha-beta's first choice
    and every recipe that can run here."""
    wanted = alpha_beta_order(p)[:1]
    for r in recipes:
        if not r.runs or not rc.recipe_placement(r, p.topology_name).ok:
            continue
        if r.variant:
            wanted.append(p.variant(r.candidate, r.variant))
        else:
            wanted.append(p.record_for(r.candidate))
    p.compile_together([rec for rec in wanted if _needs_compile(p, rec)])


PLANNER_BASELINES: tuple[Baseline, ...] = (
    Baseline(ALPHA_BETA, rc.MAKE_MESH, ALPHA_BETA_SOURCE, lambda p, best: alpha_beta_row(p)),
    *(
        Baseline(
            name,
            _ABLATION_METHOD[name],
            "ours, placed as JAX users do",
            lambda p, best, name=name: ours_row(p, best, name),
            needs_plan=True,
        )
        for name in ABLATIONS
    ),
)


def _recipe_baseline(r: Recipe) -> Baseline:
    return Baseline(
        r.name, RECIPE_MESH, r.source, lambda p, best: recipe_row(p, r), existing_solution=True
    )


def registry(p) -> list[Baseline]:
    """Every baseline of the session's scenario, in report order: the planner's rows, then the
    existing systems of the model's family."""
    recipes = p.family.recipes(p.scenario, p.num_devices)
    return [*PLANNER_BASELINES, *(_recipe_baseline(r) for r in recipes)]


def evaluate_baselines(p, best, tick) -> list[dict[str, Any]]:
    _prefetch(p, p.family.recipes(p.scenario, p.num_devices))
    rows = []
    for entry in registry(p):
        if entry.needs_plan and best is None:
            continue
        rows.append(entry.evaluate(p, best))
        tick(entry.name)
    return rows


def refresh_ours(p, best, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-score the placement ablations when the plan's candidate changed after the baselines
    (a baseline's compile found a better candidate)."""
    if best is None:
        return rows
    mine = [r for r in rows if r["name"] in ABLATIONS]
    if mine and all(r["candidate"] == best.label for r in mine):
        return rows
    others = [r for r in rows if r["name"] not in ABLATIONS]
    return others[:1] + ours_rows(p, best) + others[1:]  # after alpha-beta, as registry() orders


def oracle(p, tick) -> dict[str, Any]:
    """Ablation: every candidate compiled, every permutation of the slice scored."""
    if p.num_devices > 8:
        return {
            "ran": False,
            "note": f"the oracle needs <= 8 devices, {p.topology_name} has {p.num_devices}",
        }
    missing = [
        i for i, r in enumerate(p.records) if r.compile is None and r.q1 and r.q1["fits_memory"]
    ]
    if missing:
        p.compile_and_rank(missing)
    best_seconds, best_label, best_order = None, None, None
    swings = []  # per candidate: its worst placement over all permutations / its best
    for rec in p.records:
        if rec.ranking is None:
            continue
        res = rec.compiled.oracle(compute=p.req.compute).to_dict()
        p.placements_scored += int(res["reduced_count"])
        swings.append((rec.label, res["worst_seconds"] / res["best_seconds"]))
        if best_seconds is None or res["best_seconds"] < best_seconds:
            best_seconds, best_label = res["best_seconds"], rec.label
            best_order = res["best_device_order"]
        tick(f"oracle {rec.label}")
    return {
        "ran": True,
        "seconds": best_seconds,
        "candidate": best_label,
        "device_order": best_order,
        "placement_swings": swings,
    }
