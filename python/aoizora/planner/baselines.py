"""Baselines and ablations of ``aoizora plan``, all scored by the same Q2 (issue 7 item 4):

(a) xla-autosharding: the candidate a topology-blind per-axis alpha-beta cost picks (what XLA's
    auto-sharding cost model does), placed by ``jax.make_mesh``;
(b) ours + make_mesh: our best candidate placed by ``jax.make_mesh`` (what placement alone buys);
(c) maxdiffusion: MaxDiffusion's defaults placed by ``jax.make_mesh``;
(d) wan-official: the official Wan / xDiT recipe, devices in id order;
(e) oracle (small slices, on request): every candidate compiled, every permutation scored.
"""

from __future__ import annotations

from typing import Any

from aoizora.baselines.recipes import maxdiffusion_candidate, wan_official_candidate

EXISTING = ("xla-autosharding", "maxdiffusion", "wan-official")


def _row(name: str, rec, placement: str, note: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "candidate": rec.label if rec is not None else None,
        "placement": placement,
        "seconds": None,
        "fits": None,
        "note": note,
        "device_order": None,
        "existing_solution": name in EXISTING,
    }


def _score_with(p, rec, row: dict[str, Any], placement: str) -> dict[str, Any]:
    """Compile (if needed) and score ``rec`` under the placement method."""
    from aoizora.baselines.jax_mesh import make_mesh_order

    p.ensure_compiled(rec)
    if rec.ranking is None:
        row["fits"] = not rec.failure.startswith("does not fit")
        row["note"] = rec.failure
        return row
    row["fits"] = True
    cand = rec.candidate
    if placement == "jax.make_mesh":
        order = make_mesh_order(p.topology_name, cand.mesh_shape(), cand.axis_names())
        if not order.ok:
            row["note"] = f"jax.make_mesh raised {order.error}"
            return row
        coords = order.device_coords()
    elif placement == "device id order":
        coords = p.id_order()
    else:
        raise ValueError(f"unknown placement method {placement!r}")
    scored = p.score(rec, coords)
    row["seconds"] = scored["seconds"]
    row["breakdown"] = scored
    row["device_order"] = coords
    return row


def _candidate_row(p, name: str, cand, placement: str) -> dict[str, Any]:
    rec = p.record_for(cand)
    if rec is None:
        return _row(name, None, placement, f"{cand.label()} is not a valid candidate here")
    if not rec.q1:
        if rec.failure:  # lowering failed
            return _row(name, rec, placement, rec.failure)
        p.lower_and_bound([rec])
    if rec.q1 and not rec.q1["fits_memory"] and rec.compile is None:
        row = _row(name, rec, placement, rec.q1["memory_reason"])
        row["fits"] = False
        return row
    return _score_with(p, rec, _row(name, rec, placement), placement)


def alpha_beta_order(p) -> list:
    """Candidates that pass the memory bound, by topology-blind alpha-beta cost (lowest first)."""
    fitting = [r for r in p.records if r.q1 and r.q1["fits_memory"]]
    return sorted(fitting, key=lambda r: r.q1["alpha_beta_seconds"])


def _xla_autosharding_row(p) -> dict[str, Any]:
    # Auto-sharding solves under a memory constraint: if its first choice does not fit after
    # compile, it would pick the next one, so we do too.
    for rec in alpha_beta_order(p):
        row = _candidate_row(p, "xla-autosharding", rec.candidate, "jax.make_mesh")
        if row["fits"] is not False:
            return row
    return _row("xla-autosharding", None, "jax.make_mesh", "no candidate fits memory")


def ours_with_make_mesh(p, best) -> dict[str, Any]:
    return _candidate_row(p, "ours+make_mesh", best.candidate, "jax.make_mesh")


def evaluate_baselines(p, best, tick) -> list[dict[str, Any]]:
    rows = [_xla_autosharding_row(p)]
    tick("xla-autosharding")
    if best is not None:
        rows.append(ours_with_make_mesh(p, best))
        tick("ours+make_mesh")
    rows.append(
        _candidate_row(p, "maxdiffusion", maxdiffusion_candidate(p.num_devices), "jax.make_mesh")
    )
    tick("maxdiffusion")
    heads = int(p.info["num_heads"])
    rows.append(
        _candidate_row(
            p, "wan-official", wan_official_candidate(p.num_devices, heads), "device id order"
        )
    )
    tick("wan-official")
    return rows


def oracle(p, tick) -> dict[str, Any]:
    """Ablation (e): every candidate compiled, every permutation of the slice scored."""
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
