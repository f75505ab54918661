"""Whole denoising steps measured on real TPUs by others, predicted by the step model with the same
model, resolution, chips, strategy and attention (shared/reference/end-to-end-measurements.md,
E1-E7). None of these points was used to fit any constant: they judge the model.

Each point is compiled once (TPU ahead-of-time, cached like every compile) and predicted under
both compute sources; the error is prediction / measured - 1. Most measurements are end-to-end
generation times (text encoder, VAE and host work included) divided by the step count, so they
are upper bounds of the denoising step: a prediction above one is too slow for certain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aoizora.planner.sources import COMPUTE_SOURCES as SOURCES


@dataclass(frozen=True)
class Scenario:
    """One compiled prediction (several points may share it)."""

    model: str
    resolution: str
    topology: str
    strategy: str
    weights_sharded_over: str
    attention: str = "splash"
    frames: int = 81

    @property
    def key(self) -> str:
        w = f"|w:{self.weights_sharded_over}" if self.weights_sharded_over else ""
        return f"{self.model} {self.resolution} {self.topology} {self.strategy}{w}"


# MaxDiffusion's "context" axis with its "flash" kernel shards Q and gathers K/V: our kv_gather;
# its weights are sharded over context through the `embed` rule: our weight sharding over the same
# axis (baselines.md); CFG runs as data parallel over `dp`. Wan 2.2 A14B experts are Wan 2.1 14B
# blocks (wan21.md section 6): one expert runs per step.
E1_SCENARIO = Scenario("wan2.1-t2v-14b", "720p", "tpu7x:2x2x1", "cfg=2,kv_gather=4", "kv_gather")
E2_SCENARIO = Scenario("wan2.1-t2v-14b", "720p", "tpu7x:2x2x2", "cfg=2,kv_gather=8", "kv_gather")
RING_ULYSSES = Scenario(
    "wan2.1-t2v-14b", "720p", "tpu7x:2x2x1", "cfg=2,ring=2,ulysses=2", "ring,ulysses"
)
ULYSSES = Scenario("wan2.1-t2v-14b", "720p", "tpu7x:2x2x1", "cfg=2,ulysses=4", "ulysses")


@dataclass(frozen=True)
class E2EPoint:
    id: str
    setup: str
    source: str
    measured_seconds: float | None  # per step; None for a relative or out-of-scope point
    bound: str  # "upper bound" (end to end / steps) | "steady state" | ...
    scenario: Scenario | None = None
    # A relative point: the measured ratio of two scenarios' steps (numerator / denominator).
    ratio_of: tuple[Scenario, Scenario] | None = None
    measured_ratio: float | None = None
    note: str = ""


MAXDIFFUSION_README = "AI-Hypercomputer/maxdiffusion README 'Ring Attention' table"

POINTS: tuple[E2EPoint, ...] = (
    E2EPoint(
        "E1",
        "Wan 2.1 T2V-14B 720p 81f, v7x-8 (4 chips, 8 devices), dp2 x context4, flash; "
        "249.3 s / 50 steps",
        MAXDIFFUSION_README,
        249.3 / 50,
        "upper bound",
        E1_SCENARIO,
    ),
    E2EPoint(
        "E2",
        "same model, v7x-16 (8 chips, 16 devices), dp2 x context8, flash; 127.1 s / 50 steps",
        MAXDIFFUSION_README,
        127.1 / 50,
        "upper bound",
        E2_SCENARIO,
    ),
    E2EPoint(
        "E3a",
        "Wan 2.2 T2V-A14B (Wan 2.1 14B blocks) 720p, v7x-8, dp2 x context4, flash; "
        "194.4 s / 40 steps",
        MAXDIFFUSION_README,
        194.4 / 40,
        "upper bound",
        E1_SCENARIO,
    ),
    E2EPoint(
        "E3b",
        "Wan 2.2 T2V-A14B 720p, v7x-16, dp2 x context8, flash; 106.0 s / 40 steps",
        MAXDIFFUSION_README,
        106.0 / 40,
        "upper bound",
        E2_SCENARIO,
    ),
    E2EPoint(
        "E4",
        "Wan 2.2 T2V 720p, v7x-8, dp2 x (ring2 x ulysses2), custom 2D ring kernel, online "
        "softmax, blocks 9472/1024; denoise 109.3 s / 40 steps",
        "AI-Hypercomputer/maxdiffusion commit 8dd6305",
        109.3 / 40,
        "steady state",
        RING_ULYSSES,
        note="the fixed-max kernel variant measured 2.633 s/step",
    ),
    E2EPoint(
        "E5",
        "Wan 2.2 T2V 720p, v7x-8, DP=2 x CP=4 Ulysses after removing relayouts; 220.6 s / 40",
        "AI-Hypercomputer/maxdiffusion commits 226ed266, 9d663c27",
        220.6 / 40,
        "upper bound",
        ULYSSES,
        note="the same commits measured flash at 435 s (E1's later flash run: 249.3 s)",
    ),
    E2EPoint(
        "E5-2D",
        "same, 2D (Ulysses 2 x ring 2); 202.1 s / 40 steps",
        "AI-Hypercomputer/maxdiffusion commits 226ed266, 9d663c27",
        202.1 / 40,
        "upper bound",
        RING_ULYSSES,
    ),
    E2EPoint(
        "E6",
        "Ulysses ~10% faster than flash (Wan 2.2 I2V 720p, v6e-8 and v7x-8): flash / Ulysses "
        "step ratio, predicted on T2V-14B v7x-8",
        "AI-Hypercomputer/maxdiffusion README 'Ulysses Attention'",
        None,
        "ratio",
        ratio_of=(E1_SCENARIO, ULYSSES),
        measured_ratio=1.1,
    ),
    E2EPoint(
        "E7",
        "Wan 2.1 14B TRAINING step, v5p-8, 36.0 s",
        "AI-Hypercomputer/maxdiffusion README, training section",
        36.0,
        "out of scope",
        note="a training step (forward + backward); the planner models inference steps only",
    ),
)


def scenarios(points: tuple[E2EPoint, ...] = POINTS) -> list[Scenario]:
    out: list[Scenario] = []
    for p in points:
        for s in ([p.scenario] if p.scenario else []) + list(p.ratio_of or ()):
            if s not in out:
                out.append(s)
    return out


PredictFn = Callable[[Scenario, str], dict[str, Any]]


def default_predict(cache_dir: str | None = None, calibration: Any = None) -> PredictFn:
    """``predict`` (compile through the cache, jax.make_mesh placement as MaxDiffusion places
    its mesh) for one scenario under one compute source; with ``calibration`` (a loaded
    calibration file), its constants on the scenarios of its device kind."""
    from aoizora.calibrate import path_for_slice
    from aoizora.planner.predict import PredictRequest, predict

    def run(s: Scenario, compute: str) -> dict[str, Any]:
        return predict(
            PredictRequest(
                model=s.model,
                resolution=s.resolution,
                frames=s.frames,
                topology=s.topology,
                strategy=s.strategy,
                weights_sharded_over=s.weights_sharded_over,
                placement="jax",
                attention=s.attention,
                compute=compute,
                cache_dir=cache_dir,
                calibration=path_for_slice(calibration, s.topology),
            )
        )

    return run


def evaluate(
    predict_fn: PredictFn,
    on_scenario: Callable[[str], None] | None = None,
    points: tuple[E2EPoint, ...] = POINTS,
) -> dict:
    """Every point predicted under both sources: rows with the errors, and per-source summaries
    (mean and max |error| over the per-step points, none of which was fitted)."""
    predicted: dict[tuple[str, str], dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for s in scenarios(points):
        if on_scenario:
            on_scenario(s.key)
        for source in SOURCES:
            try:
                predicted[(s.key, source)] = predict_fn(s, source)
            except (RuntimeError, ValueError) as e:  # a compile that fails is a row, not a crash
                failures[s.key] = f"{type(e).__name__}: {e}"
    rows = []
    for p in points:
        row: dict[str, Any] = {
            "id": p.id,
            "setup": p.setup,
            "source": p.source,
            "bound": p.bound,
            "fitted": False,
            "note": p.note,
            "measured": p.measured_seconds if p.ratio_of is None else p.measured_ratio,
            "unit": "ratio" if p.ratio_of else "s",
            "scenario": p.scenario.key if p.scenario else None,
            "predicted": {},
            "relative_error": {},
            "breakdown": {},
        }
        for source in SOURCES:
            value, parts = _predicted_value(p, source, predicted)
            row["predicted"][source] = value
            row["breakdown"][source] = parts
            measured = row["measured"]
            row["relative_error"][source] = (
                None if value is None or not measured else value / measured - 1.0
            )
        if p.scenario and p.scenario.key in failures:
            row["note"] = (row["note"] + "; " if row["note"] else "") + failures[p.scenario.key]
        rows.append(row)
    return {"points": rows, "summary": _summary(rows), "failures": failures}


def _predicted_value(p: E2EPoint, source: str, predicted) -> tuple[float | None, dict | None]:
    if p.ratio_of is not None:
        a = predicted.get((p.ratio_of[0].key, source))
        b = predicted.get((p.ratio_of[1].key, source))
        if a is None or b is None:
            return None, None
        return a["seconds"] / b["seconds"], None
    if p.scenario is None:
        return None, None
    got = predicted.get((p.scenario.key, source))
    if got is None:
        return None, None
    b = got["breakdown"]
    return got["seconds"], {
        "compute_seconds": b["compute_seconds"],
        "exposed_comm_seconds": b["exposed_comm_seconds"],
        "compute_source": got.get("compute_source", source),
    }


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for source in SOURCES:
        errors = [
            r["relative_error"][source]
            for r in rows
            if r["unit"] == "s" and r["relative_error"][source] is not None
        ]
        out[source] = {
            "points": len(errors),
            "mean_abs_relative_error": sum(abs(e) for e in errors) / len(errors)
            if errors
            else None,
            "max_abs_relative_error": max((abs(e) for e in errors), default=None),
            "within_25_percent": sum(1 for e in errors if abs(e) <= 0.25),
            "above_upper_bound": sum(
                1
                for r in rows
                if r["unit"] == "s"
                and r["bound"] == "upper bound"
                and r["relative_error"][source] is not None
                and r["relative_error"][source] > 0
            ),
        }
    return out
