"""``aoizora predict``: what one given candidate costs (its compile, its placement as JAX would
make it, and the best placement of it). The same pipeline pieces as ``plan``, for one candidate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aoizora.plan import PREDICTION_NOTE
from aoizora.planner.sources import DEFAULT_COMPUTE


@dataclass
class PredictRequest:
    model: str
    resolution: str | None
    frames: int | None
    topology: str
    strategy: str  # "cfg=2,tp=4"
    weights_sharded_over: str = ""  # "cfg,ulysses"
    placement: str = "jax"  # jax | best | ids
    compiler: str = "tpu"
    attention: str | None = None  # splash | pallas | jax; None: splash on TPU, jax on CPU
    compute: str = DEFAULT_COMPUTE  # compiler | roofline
    cache_dir: str | None = None
    timeout_s: float = 1800.0
    batch: int = 1
    calibration: str | None = None  # a calibration file: its constants instead of the table's


def predict(req: PredictRequest) -> dict[str, Any]:
    from aoizora.baselines import recipes as rc
    from aoizora.models import Candidate
    from aoizora.planner.progress import Progress
    from aoizora.planner.session import PlanningSession, PlanRequest

    if req.placement not in ("jax", "best", "ids"):
        raise ValueError(f"unknown --placement {req.placement!r}; use jax, best or ids")
    session = PlanningSession(
        PlanRequest(
            model=req.model,
            resolution=req.resolution,
            frames=req.frames,
            batch=req.batch,
            topology=req.topology,
            compiler=req.compiler,
            attention=req.attention,
            compute=req.compute,
            workers=1,
            timeout_s=req.timeout_s,
            cache_dir=req.cache_dir,
            calibration=req.calibration,
        ),
        Progress(enabled=False),
    )
    cand = Candidate.parse(req.strategy, req.weights_sharded_over)
    rec = session.compile_candidate(cand)
    res = rec.compile
    out: dict[str, Any] = {
        "model": req.model,
        "resolution": session.scenario.resolution,
        "topology": req.topology,
        "candidate": cand.label(),
        "attention": session.req.attention,
        "compiler": res.compiler,
        "q1_seconds": rec.q1["seconds"],
        "note": PREDICTION_NOTE,
        "calibration": session.constant_sources,
    }
    if res.fits is False:
        raise RuntimeError(
            f"{cand.label()} does not fit the chip's HBM on {req.topology}: {res.error or ''}"
            f"{'' if res.memory is None else f'{res.memory.peak_bytes / 1e9:.2f} GB per chip'}"
        )
    if not res.ok:
        raise RuntimeError(f"compile of {cand.label()} failed: {res.status}: {res.error}")
    if res.memory is not None:
        out["peak_bytes_per_chip"] = res.memory.peak_bytes
        out["fits"] = res.memory.fits
    best = rec.ranking["placements"][0]
    if req.placement == "best":
        coords, how = best["device_order"], "best placement (searched)"
    elif req.placement == "ids":
        coords, how = session.id_order(), "device id order"
    else:
        where = rc.place(rc.MAKE_MESH, session.topology_name, cand.mesh_shape(), cand.axis_names())
        if not where.ok:
            raise ValueError(
                f"jax.make_mesh cannot place {list(cand.mesh_shape())} on {req.topology}: "
                f"{where.error}"
            )
        coords, how = where.device_coords, "jax.make_mesh"
    scored = session.score(rec, coords)
    out.update(
        {
            "placement": how,
            "seconds": scored["seconds"],
            "compute_source": scored["compute_source"],
            "breakdown": scored,
            "device_order": coords,
            "best_placement_seconds": best["seconds"],
            "best_device_order": best["device_order"],
        }
    )
    return out
