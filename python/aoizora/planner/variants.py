"""Programs outside the planner's space that a baseline runs: the workload of a candidate with
classifier-free guidance run another way than ours (ours: a cfg axis, or both passes as one batch
of two). Today: ``sequential`` (two forward programs per step, wan-official)."""

from __future__ import annotations

from typing import Any

from aoizora.planner.sources import tpu_generation


def variant_workload(req: Any, cfg_mode: str) -> Any:
    """The compile workload of the plan request's scenario with CFG run as ``cfg_mode``."""
    from aoizora.baselines.recipes import CFG_SEQUENTIAL
    from aoizora.compiler.wan_workload import wan_workload

    if cfg_mode != CFG_SEQUENTIAL:
        raise ValueError(f"no workload variant for CFG mode {cfg_mode!r}")
    return wan_workload(
        req.model,
        req.resolution,
        req.frames,
        req.attention,
        tpu_generation=tpu_generation(req.topology),
        cfg_passes="sequential",
    )
