"""Baselines and ablations of ``aoizora plan``, every one scored by the same Q2 with the same
attention and compute source as the plan (docs/planner.md, "Baselines"):

- ``alpha-beta``: the candidate a topology-blind per-axis alpha-beta cost picks (the cost shape of
  XLA's and Alpa's auto-sharding, reimplemented: XLA's pass cannot run on this stack), placed by
  ``jax.make_mesh``. Not an existing solution: nobody runs it; it shows what a topology-blind
  automatic choice gives.
- placement ablations, our sharding under ``jax.make_mesh`` (``ours+make_mesh``), under
  ``mesh_utils.create_device_mesh`` (``ours+create_device_mesh``) and in device-id order
  (``ours+id-order``): what the placement search alone buys;
- existing solutions as their users get them (``aoizora.baselines.recipes``):
  ``maxdiffusion-default``, ``maxdiffusion-readme``, ``wan-official``. A recipe that cannot run on
  the slice is a row that says why, never a substitute;
- ``oracle`` (small slices, on request): every candidate compiled, every permutation scored.
"""

from __future__ import annotations

from typing import Any

from aoizora.baselines import recipes as rc

ALPHA_BETA = "alpha-beta"
ABLATIONS = ("ours+make_mesh", "ours+create_device_mesh", "ours+id-order")
EXISTING = rc.RECIPES  # the rows whose existing_solution is true
ORDER = (ALPHA_BETA, *ABLATIONS, *EXISTING)

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
SEQUENTIAL_CFG_NOTE = (
    "CFG as two sequential passes: two forward programs per step, FSDP gathers the weights twice"
)


def _row(
    name: str,
    candidate: str | None,
    placement: str,
    note: str = "",
    *,
    cfg: str = "",
    source: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "candidate": candidate,
        "placement": placement,
        "seconds": None,
        "fits": None,
        "note": note,
        "device_order": None,
        "existing_solution": name in EXISTING,
        "cfg": cfg,
        "source": source,
    }


def _cfg_of(cand) -> str:
    return rc.CFG_PARALLEL if cand.degree("cfg") > 1 else rc.CFG_BATCH


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _score_record(p, rec, row: dict[str, Any], placement: str, coords) -> dict[str, Any]:
    """Score a compiled record at ``coords`` (None: ``placement``'s order of the candidate)."""
    if rec.compile is None or rec.compile.hlo_text == "" or not rec.compile.ok:
        row["fits"] = not rec.failure.startswith("does not fit")
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
            cfg=_cfg_of(rec.candidate),
            source=ALPHA_BETA_SOURCE,
        )
        row = _candidate_row(p, row, rec.candidate)
        if row["fits"] is not False:
            return row
    return _row(
        ALPHA_BETA, None, rc.MAKE_MESH, "no candidate fits memory", source=ALPHA_BETA_SOURCE
    )


def ours_rows(p, best) -> list[dict[str, Any]]:
    """Our sharding under each placement method JAX users reach for (placement ablations)."""
    rows = []
    for name in ABLATIONS:
        row = _row(name, best.label, _ABLATION_METHOD[name], cfg=_cfg_of(best.candidate))
        rows.append(_candidate_row(p, row, best.candidate))
    return rows


def recipe_row(p, r: rc.Recipe) -> dict[str, Any]:
    """An existing solution's row: its candidate, compiled as it runs CFG, at its own mesh's
    device order; or why it cannot run here."""
    row = _row(r.name, r.label, r.placement, r.note, cfg=r.cfg, source=r.source)
    if not r.runs:
        return row
    where = rc.recipe_placement(r, p.topology_name)
    if not where.ok:
        row["note"] = _join(row["note"], where.error)
        return row
    if r.cfg != rc.CFG_SEQUENTIAL:
        return _candidate_row(p, row, r.candidate, where.device_coords)
    row["note"] = _join(row["note"], SEQUENTIAL_CFG_NOTE)
    rec = p.variant(r.candidate, rc.CFG_SEQUENTIAL)
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


def _prefetch(p, recipes: list[rc.Recipe]) -> None:
    """Compile, in one parallel batch, what the rows below will need: alpha-beta's first choice
    and every recipe that can run here."""
    wanted = alpha_beta_order(p)[:1]
    for r in recipes:
        if not r.runs or not rc.recipe_placement(r, p.topology_name).ok:
            continue
        if r.cfg == rc.CFG_SEQUENTIAL:
            wanted.append(p.variant(r.candidate, rc.CFG_SEQUENTIAL))
        else:
            wanted.append(p.record_for(r.candidate))
    p.compile_together([rec for rec in wanted if _needs_compile(p, rec)])


def evaluate_baselines(p, best, tick) -> list[dict[str, Any]]:
    recipes = rc.recipes(p.req.model, p.num_devices, int(p.info["tokens"]))
    _prefetch(p, recipes)
    rows = [alpha_beta_row(p)]
    tick(ALPHA_BETA)
    if best is not None:
        rows += ours_rows(p, best)
        tick("ours+placements")
    for r in recipes:
        rows.append(recipe_row(p, r))
        tick(r.name)
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
    return others[:1] + ours_rows(p, best) + others[1:]  # after alpha-beta, as ORDER says


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
        cand = rec.candidate
        res = p.core.placement_oracle(
            rec.compile.hlo_text, p.topology_name, list(cand.mesh_shape()), compute=p.req.compute
        )
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
