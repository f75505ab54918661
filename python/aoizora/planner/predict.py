"""``aoizora predict``: what one given candidate costs (its compile, its placement as JAX would
make it, and the best placement of it). The same pipeline pieces as ``plan``, for one candidate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aoizora.plan import PREDICTION_NOTE
from aoizora.planner.sources import (
    DEFAULT_COMPUTE,
    check_compute,
    resolve_attention,
    tpu_generation,
)


@dataclass
class PredictRequest:
    model: str
    resolution: str
    frames: int
    topology: str
    strategy: str  # "cfg=2,tp=4"
    weights_sharded_over: str = ""  # "cfg,ulysses"
    placement: str = "jax"  # jax | best | ids
    compiler: str = "tpu"
    attention: str | None = None  # splash | pallas | jax; None: splash on TPU, jax on CPU
    compute: str = DEFAULT_COMPUTE  # compiler | roofline
    cache_dir: str | None = None
    timeout_s: float = 1800.0


def predict(req: PredictRequest) -> dict[str, Any]:
    from aoizora import _core
    from aoizora.baselines.jax_mesh import make_mesh_order
    from aoizora.compiler import adapter
    from aoizora.compiler.cache import CompileCache
    from aoizora.compiler.wan_workload import wan_workload
    from aoizora.models import Candidate, model_info
    from aoizora.models.strategies import validate

    if req.placement not in ("jax", "best", "ids"):
        raise ValueError(f"unknown --placement {req.placement!r}; use jax, best or ids")
    model_info(req.model, req.resolution, req.frames)
    topo = _core.parse_slice_spec(req.topology)
    cand = Candidate.parse(req.strategy, req.weights_sharded_over)
    validate(req.model, int(topo.num_devices), cand)
    attention = resolve_attention(req.attention, req.compiler)
    compute = check_compute(req.compute)
    workload = wan_workload(
        req.model, req.resolution, req.frames, attention, tpu_generation(req.topology)
    )
    low = adapter.lower(cand, workload=workload, compiler=req.compiler)
    q1 = _core.q1_bound(low.hlo_text, req.topology, compute=compute)
    job = adapter.make_job(cand, req.topology, workload=workload, compiler=req.compiler)
    cache = CompileCache(req.cache_dir) if req.cache_dir else None
    res = adapter.compile_jobs([job], workers=1, timeout_s=req.timeout_s, cache=cache)[0]
    out: dict[str, Any] = {
        "model": req.model,
        "resolution": req.resolution,
        "topology": req.topology,
        "candidate": cand.label(),
        "attention": attention,
        "compiler": res.compiler,
        "q1_seconds": q1["seconds"],
        "note": PREDICTION_NOTE,
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
    shape, names = list(cand.mesh_shape()), list(cand.axis_names())
    ranking = _core.rank_placements(
        res.hlo_text, req.topology, shape, names, top=1, compute=compute
    )
    best = ranking["placements"][0]
    if req.placement == "best":
        coords, how = best["device_order"], "best placement (searched)"
    elif req.placement == "ids":
        multi_core = int(topo.cores_per_chip) > 1
        coords = []
        for i in range(int(topo.num_devices)):
            c = list(topo.device_coords(i))[:3]
            coords.append(c + [int(topo.core_on_chip(i))] if multi_core else c)
        how = "device id order"
    else:
        order = make_mesh_order(req.topology, shape, names)
        if not order.ok:
            raise ValueError(f"jax.make_mesh cannot place {shape} on {req.topology}: {order.error}")
        coords, how = order.device_coords(), "jax.make_mesh"
    scored = _core.score_placement(
        res.hlo_text, req.topology, shape, names, coords, compute=compute
    )
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
