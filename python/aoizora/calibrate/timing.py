"""Steady-state timing of a JAX computation: compile once, warm up, then time each run to
``block_until_ready`` (min / median / max over the repeats). Every figure is a measurement on
the devices the arrays live on."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def summarize(runs: list[float]) -> dict[str, Any]:
    """min / median / max of per-run seconds, with the runs themselves."""
    if not runs:
        raise ValueError("no timed runs")
    return {
        "runs": [float(r) for r in runs],
        "min_seconds": float(min(runs)),
        "median_seconds": float(statistics.median(runs)),
        "max_seconds": float(max(runs)),
    }


def time_steady(
    fn: Callable[..., Any], args: tuple, *, warmup: int = 2, repeats: int = 5
) -> dict[str, Any]:
    """Run ``fn(*args)`` ``warmup`` times untimed (compilation, caches, allocator), then
    ``repeats`` times, each timed from the call to ``block_until_ready`` of its outputs."""
    import jax

    if warmup < 0 or repeats < 1:
        raise ValueError(f"warmup must be >= 0 and repeats >= 1, got {warmup}, {repeats}")
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        runs.append(time.perf_counter() - t0)
    return {**summarize(runs), "warmup": warmup, "repeats": repeats}
