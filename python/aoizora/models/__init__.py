"""Model zoo: Wan 2.1 DiT (one denoising step) with switchable parallel strategies.

Importing this package is cheap (no JAX). ``step_lowerable`` / ``step_concrete`` import JAX on
first use. See docs/wan21.md for the model, the strategies and the mesh axis order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aoizora.models.candidate import AXIS_ORDER, Candidate
from aoizora.models.strategies import candidates
from aoizora.models.wan21_config import model_info, model_names

__all__ = [
    "AXIS_ORDER",
    "Candidate",
    "candidates",
    "model_info",
    "model_names",
    "step_concrete",
    "step_lowerable",
]


def step_lowerable(
    model: str,
    resolution: str,
    frames: int,
    candidate: Candidate,
    mesh: Any,
    attention: str = "jax",
    tpu_generation: str = "",
    cfg_passes: str = "batch",
) -> tuple[Callable, tuple]:
    """``(jitted_fn, abstract_args)`` for one denoising step (both CFG passes) of ``model`` under
    ``candidate`` on ``mesh`` (a ``jax.sharding.Mesh`` or ``AbstractMesh`` whose axis names are
    ``candidate.axis_names()``). ``jitted_fn.lower(*abstract_args)`` needs no real arrays.
    ``attention="splash"`` (block sizes for ``tpu_generation``) or ``"pallas"`` use a fused TPU
    kernel (TPU compiles only); ``"jax"`` is blockwise attention in plain JAX. Without a cfg axis
    ``cfg_passes`` runs the two guidance passes as one batch ("batch") or one after the other
    ("sequential", two forward programs: the official Wan code's schedule)."""
    from aoizora.models import wan21_step

    return wan21_step.step_lowerable(
        model,
        resolution,
        frames,
        candidate,
        mesh,
        attention=attention,
        tpu_generation=tpu_generation,
        cfg_passes=cfg_passes,
    )


def step_concrete(
    model: str,
    resolution: str,
    frames: int,
    candidate: Candidate,
    mesh: Any,
    seed: int = 0,
    dtype: str = "bfloat16",
    cfg_passes: str = "batch",
) -> tuple[Callable, tuple]:
    """Like ``step_lowerable`` with real random arrays (for numerical tests on small configs).
    ``dtype`` is the weight/matmul dtype ("bfloat16" as the original, "float32" for exact
    comparisons between strategies)."""
    from aoizora.models import wan21_step

    return wan21_step.step_concrete(
        model, resolution, frames, candidate, mesh, seed, dtype, cfg_passes=cfg_passes
    )
