"""``aoizora plan``: the whole pipeline (architecture.md). Python drives the compiler; the
decisions (Q1, the branch and bound, placement search and Q2) are calls into the C++ core.

Stages: candidates -> lower (pre-compile HLO) -> Q1 + memory bound -> branch and bound: compile
in Q1 order (parallel worker processes), analyze the compiled HLO and rank its placements (Q2)
-> baselines under the same Q2 -> plan.json. Every latency is a model prediction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aoizora.plan import PREDICTION_NOTE, Plan
from aoizora.planner.progress import Progress
from aoizora.planner.session import (  # noqa: F401 - PlanRequest and CandidateRecord re-exported
    CandidateRecord,
    PlanningSession,
    PlanRequest,
    default_workers,
)


@dataclass
class PlanOutcome:
    plan: Plan | None
    records: list[CandidateRecord]
    baselines: list[dict[str, Any]]
    stats: dict[str, Any]
    oracle: dict[str, Any] | None = None


def run_plan(req: PlanRequest, progress: Progress | None = None) -> PlanOutcome:
    """Plan one scenario. Raises ValueError for bad input (unknown model, slice, ...)."""
    from aoizora import core
    from aoizora.compiler.adapter import lowering_count
    from aoizora.planner import baselines as bl

    progress = progress or Progress(enabled=False)
    wall_start = time.perf_counter()
    lowerings_before = lowering_count()
    parses_before = core().hlo_parse_count("compiled")
    p = PlanningSession(req, progress)
    if req.measure:  # refuse now, not after the plan, when the devices are not the slice
        from aoizora.measure.rows import check_devices

        progress.log(f"--measure {req.measure}: on {check_devices(req.compiler, p.topology)}")
    p.enumerate()
    p.lower_and_bound(p.records)

    searchable = [i for i, r in enumerate(p.records) if r.q1]
    bounds = [
        p.core.CandidateBound(
            p.records[i].label,
            p.records[i].q1["seconds"],
            p.records[i].q1["fits_memory"],
            p.records[i].q1["memory_reason"],
            # Compile order: compute plus the communication that cannot overlap it (an estimate,
            # planner/q1_bound.h), which separates candidates whose Q1 (compute-bound) ties.
            priority_seconds=p.records[i].q1["estimate_seconds"],
            family=p.records[i].candidate.degrees_label(),
        )
        for i in searchable
    ]
    workers = req.workers or default_workers()
    # Python runs the loop (compiles, cache, progress); the C++ search state decides the order,
    # the pruning and the statuses. No callback crosses the boundary.
    state = p.core.CandidateSearch(bounds, p.core.SearchOptions(req.mode, req.k, workers))
    while batch := state.next_batch():
        state.record(p.compile_and_rank([searchable[i] for i in batch]))
    search = state.result()
    for i, status in zip(searchable, search.statuses, strict=True):
        if not status.compiled:
            p.records[i].status = str(status)
    search_compiled = search.num_compiled + search.num_failed

    best = _best_ranked(p.records)
    rows = sum(1 for e in bl.registry(p) if best is not None or not e.needs_plan)
    with progress.stage("baselines", total=rows, eta=False) as tick:
        baselines = bl.evaluate_baselines(p, best, tick)
    oracle = None
    if req.oracle:
        with progress.stage("oracle") as tick:
            oracle = bl.oracle(p, tick)
    # Candidates compiled for the baselines or the oracle are ranked too: the plan is the best
    # of everything compiled, so it is never worse than a baseline's candidate.
    best = _best_ranked(p.records)
    baselines = bl.refresh_ours(p, best, baselines)

    stats = {
        "candidates": len(p.records),
        "lowered": sum(1 for r in p.records if r.q1),
        "pruned_memory": search.num_pruned_memory,
        "pruned_bound": search.num_pruned_bound,
        "pruned": search.num_pruned_memory + search.num_pruned_bound,
        "compiled": search_compiled,
        "compiled_for_baselines": sum(1 for r in p.records if r.compile is not None)
        - search_compiled
        + sum(1 for r in p.variants.values() if r.compile is not None),
        "failed": sum(1 for r in p.records if r.status == "failed"),
        "failed_lowering": len(p.records) - len(searchable),
        "fresh_compiles": p.compiles,
        # Each program lowered once in this process (Q1 and the compile cache key share it).
        "lowerings": lowering_count() - lowerings_before,
        "programs_lowered": sum(1 for r in p.records if r.lowered is not None)
        + sum(1 for r in p.variants.values() if r.lowered is not None),
        # Each compiled module parsed once (rank, score and the oracle share the parse).
        "compiled_hlo_parses": core().hlo_parse_count("compiled") - parses_before,
        "programs_ranked": sum(1 for r in p.records if r.compiled is not None)
        + sum(1 for r in p.variants.values() if r.compiled is not None),
        "placements_scored": p.placements_scored,
        "mode": req.mode,
        "executor": p.executor.describe(),  # where compiles ran (Ray: tasks per node)
        "wall_seconds": time.perf_counter() - wall_start,
        "stage_seconds": dict(progress.stage_seconds),
    }
    plan = _make_plan(p, best, baselines, stats, oracle) if best is not None else None
    if plan is not None and req.measure:
        from aoizora.measure.rows import measure_plan

        measure_plan(
            p, plan, req.measure, progress, warmup=req.measure_warmup, steps=req.measure_steps
        )
        stats["stage_seconds"] = dict(progress.stage_seconds)
        stats["wall_seconds"] = time.perf_counter() - wall_start
    return PlanOutcome(plan, p.records, baselines, stats, oracle)


def _best_ranked(records: list[CandidateRecord]) -> CandidateRecord | None:
    ranked = [r for r in records if r.best_seconds is not None]
    return min(ranked, key=lambda r: r.best_seconds) if ranked else None


def _make_plan(p: PlanningSession, best: CandidateRecord, baselines, stats, oracle) -> Plan:
    top = best.ranking["placements"][0]
    runner_ups = []
    for rec in sorted(
        (r for r in p.records if r.best_seconds is not None and r is not best),
        key=lambda r: r.best_seconds,
    )[:5]:
        runner_ups.append(
            {
                "candidate": rec.label,
                "seconds": rec.best_seconds,
                "device_order": rec.ranking["placements"][0]["device_order"],
            }
        )
    for alt in best.ranking["placements"][1:3]:
        runner_ups.append(
            {
                "candidate": best.label,
                "seconds": alt["seconds"],
                "device_order": alt["device_order"],
            }
        )
    return Plan(
        model=p.req.model,
        resolution=p.scenario.resolution,
        frames=p.scenario.frames,
        batch=p.scenario.batch,
        topology=p.topology_name,
        compiler=best.compile.compiler,
        attention=p.req.attention,
        compute_source=top["breakdown"].get("compute_source", p.req.compute),
        candidate=best.label,
        axis_names=list(best.candidate.axis_names()),
        mesh_shape=list(best.candidate.mesh_shape()),
        weight_sharding=list(best.candidate.weight_sharding),
        device_order=[list(c) for c in top["device_order"]],
        device_ids=[int(i) for i in top["device_ids"]],
        predicted={
            "seconds": top["seconds"],
            "breakdown": top["breakdown"],
            "placement": top.get("description", ""),
            "worst_placement_seconds": best.worst_seconds,
            "q1_seconds": best.q1["seconds"],
            # The same step on SimGrid (docs/simgrid.md): a simulator prediction.
            "simulated_seconds": p.simulate(best, top["device_order"]),
            "note": PREDICTION_NOTE,
        },
        partition_specs=p.family.partition_specs(best.candidate),
        runner_ups=runner_ups,
        baselines=baselines + ([_oracle_row(oracle)] if oracle and oracle.get("ran") else []),
        stats=stats,
        calibration=p.constant_sources,
    )


def _oracle_row(oracle: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "oracle",
        "candidate": oracle["candidate"],
        "placement": "exhaustive (every candidate, every permutation)",
        "seconds": oracle["seconds"],
        "fits": True,
        "note": "ablation (e)",
        "device_order": oracle["device_order"],
        "existing_solution": False,
    }
