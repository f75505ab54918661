"""V4 of shared/reference/tpu-hardware.md: "Wan 2.1 on v5e-8, same logical sharding, different
physical placements: a 16.6% swing in per-step latency, attributed mainly to shared-link
contention" [secondary]. The swing of a compiled step over every placement, by both evaluators.

For each logical sharding below, the Wan 2.1 1.3B 480p step is compiled for v5e:2x4 (8 chips; TPU
ahead of time, cached like every compile) and every placement of its mesh on the slice (8! device
orders, one per orbit of the slice's reflections: 10,080) is scored by Q2 (the model) and replayed
on SimGrid (the simulator, docs/simgrid.md). swing = slowest / fastest - 1. Both are predictions;
16.6% is the measured figure. The paper does not say which sharding it measured, so each sharding
that a user of this scenario would run is a row: our plan's and the existing recipes' (their
programs: bench/results/plan.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aoizora.planner.sources import DEFAULT_COMPUTE

V4_MEASURED_SWING = 0.166
V4_SOURCE = "arXiv 2606.17566 [secondary]"
SIM_BATCH = 2000  # placements per SimGrid run (one forked child each)


@dataclass(frozen=True)
class SwingScenario:
    model: str
    resolution: str
    frames: int
    topology: str
    strategy: str
    weights_sharded_over: str
    who: str  # whose sharding this is
    attention: str = "splash"

    @property
    def key(self) -> str:
        w = f"|w:{self.weights_sharded_over}" if self.weights_sharded_over else ""
        return f"{self.model} {self.resolution} {self.topology} {self.strategy}{w}"


def _v4(strategy: str, weights: str, who: str) -> SwingScenario:
    return SwingScenario("wan2.1-t2v-1.3b", "480p", 81, "v5e:2x4", strategy, weights, who)


SCENARIOS: tuple[SwingScenario, ...] = (
    _v4("cfg=2,ulysses=4", "", "AoiZora's plan (bench/results/plan.md)"),
    _v4("cfg=2,kv_gather=4", "kv_gather", "maxdiffusion-readme (dp2 x context4)"),
    _v4("kv_gather=8", "kv_gather", "maxdiffusion-default (context over all chips)"),
    _v4("ring=8", "", "wan-official's sharding (ring over all chips)"),
)


@dataclass
class Swing:
    """One compiled step over every placement orbit: fastest and slowest by each evaluator."""

    placements: int  # orbits scored
    total: int  # device orders they stand for
    q2_fastest_s: float
    q2_slowest_s: float
    sim_fastest_s: float | None  # None when SimGrid is missing or failed (sim_error says why)
    sim_slowest_s: float | None
    sim_error: str = ""

    @property
    def q2_swing(self) -> float:
        return self.q2_slowest_s / self.q2_fastest_s - 1.0

    @property
    def sim_swing(self) -> float | None:
        if self.sim_fastest_s is None or self.sim_slowest_s is None:
            return None
        return self.sim_slowest_s / self.sim_fastest_s - 1.0


def swing_over_all_placements(
    core: Any,
    topology: Any,
    compiled: Any,
    compute: str = DEFAULT_COMPUTE,
    on_batch: Callable[[int, int], None] | None = None,
) -> Swing:
    """Score every placement orbit of ``compiled`` (a CompiledCandidate whose mesh covers the
    slice) by Q2 and, where the core has SimGrid, by the simulator (Q2's time comes from the same
    replay, so both see one placement list)."""
    orbits = core.placement_orbits(topology)
    ids = orbits["device_ids"]
    coords_of = topology.coords_of(None)
    placements = [[list(coords_of[d]) for d in order] for order in ids]
    q2: list[float] = []
    sim: list[float] = []
    sim_error = "" if core.simgrid_available() else "the core was built without SimGrid"
    if not sim_error:
        try:
            simulator = core.Simulator(topology)
            for start in range(0, len(placements), SIM_BATCH):
                steps = simulator.simulate_steps(
                    compiled, placements[start : start + SIM_BATCH], compute=compute
                )
                q2.extend(s.model_seconds for s in steps)
                sim.extend(s.seconds for s in steps)
                if on_batch:
                    on_batch(len(q2), len(placements))
        except (RuntimeError, ValueError, OSError) as e:
            # The second opinion failed: Q2's column stands on its own.
            sim_error, q2, sim = f"SimGrid: {e}", [], []
    if not q2:
        q2 = [compiled.score(p, compute=compute).seconds for p in placements]
    return Swing(
        placements=len(placements),
        total=int(orbits["total_count"]),
        q2_fastest_s=min(q2),
        q2_slowest_s=max(q2),
        sim_fastest_s=min(sim) if sim else None,
        sim_slowest_s=max(sim) if sim else None,
        sim_error=sim_error,
    )


SwingFn = Callable[[SwingScenario], Swing]


def default_swing(
    cache_dir: str | None = None,
    calibration: Any = None,
    compiler: str = "tpu",
    on_batch: Callable[[str, int, int], None] | None = None,
) -> SwingFn:
    """Compile a scenario through the planning session (compile cache, one worker) and swing it;
    ``on_batch(scenario key, placements done, total)`` reports the replay's progress; with
    ``calibration`` (a loaded calibration file), its constants on slices of its device kind."""
    from aoizora.calibrate import path_for_slice
    from aoizora.models import Candidate
    from aoizora.planner.progress import Progress
    from aoizora.planner.session import PlanningSession, PlanRequest

    def run(s: SwingScenario) -> Swing:
        session = PlanningSession(
            PlanRequest(
                model=s.model,
                resolution=s.resolution,
                frames=s.frames,
                topology=s.topology,
                compiler=compiler,
                attention=s.attention,
                workers=1,
                cache_dir=cache_dir,
                calibration=path_for_slice(calibration, s.topology),
            ),
            Progress(enabled=False),
        )
        rec = session.compile_candidate(Candidate.parse(s.strategy, s.weights_sharded_over))
        if rec.does_not_fit:  # the planner would not run it either
            raise RuntimeError(f"{rec.label} does not fit the chip's HBM on {s.topology}")
        if not rec.compile.ok:
            raise RuntimeError(f"compile of {rec.label} failed: {rec.compile.error}")
        compiled = session.compiled(rec)
        return swing_over_all_placements(
            session.core,
            session.topology,
            compiled,
            session.req.compute,
            None if on_batch is None else lambda done, total: on_batch(s.key, done, total),
        )

    return run


def evaluate(
    swing_fn: SwingFn,
    on_scenario: Callable[[str], None] | None = None,
    scenarios: tuple[SwingScenario, ...] = SCENARIOS,
) -> dict[str, Any]:
    """One row per sharding: both evaluators' swings next to the measured 16.6%. A scenario that
    fails to compile is a row with its error, not a crash."""
    rows = []
    for s in scenarios:
        if on_scenario:
            on_scenario(s.key)
        row: dict[str, Any] = {"scenario": s.key, "who": s.who, "error": ""}
        try:
            sw = swing_fn(s)
        except (RuntimeError, ValueError) as e:
            row["error"] = f"{type(e).__name__}: {e}"
            rows.append(row)
            continue
        row.update(
            {
                "placements": sw.placements,
                "device_orders": sw.total,
                "q2_fastest_seconds": sw.q2_fastest_s,
                "q2_slowest_seconds": sw.q2_slowest_s,
                "q2_swing": sw.q2_swing,
                "simulated_fastest_seconds": sw.sim_fastest_s,
                "simulated_slowest_seconds": sw.sim_slowest_s,
                "simulated_swing": sw.sim_swing,
                "simulated_error": sw.sim_error,
            }
        )
        rows.append(row)
    return {
        "id": "V4",
        "source": V4_SOURCE,
        "measured_swing": V4_MEASURED_SWING,
        "setup": "Wan 2.1 on v5e-8, same logical sharding, different physical placements "
        "(the sharding measured is not published)",
        "label": "Q2 values are model predictions, SimGrid values simulator predictions; "
        "swing = slowest / fastest placement - 1 (16.6% is the measurement)",
        "rows": rows,
    }
