"""``aoizora plan``: the whole pipeline (architecture.md). Python drives the compiler; the
decisions (Q1, the branch and bound, placement search and Q2) are calls into the C++ core.

Stages: candidates -> lower (pre-compile HLO) -> Q1 + memory bound -> branch and bound: compile
in Q1 order (parallel worker processes), analyze the compiled HLO and rank its placements (Q2)
-> baselines under the same Q2 -> plan.json. Every latency is a model prediction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aoizora.plan import PREDICTION_NOTE, Plan
from aoizora.planner.progress import Progress


@dataclass
class PlanRequest:
    model: str = "wan2.1-t2v-1.3b"
    resolution: str = "480p"
    frames: int = 81
    topology: str = "v5e:2x4"
    mode: str = "exact"  # exact | topk
    k: int = 4
    compiler: str = "tpu"  # tpu (AOT through libtpu) | cpu (labelled fallback)
    workers: int | None = None  # parallel compiles; default: CPU count
    timeout_s: float = 1800.0
    oracle: bool = False  # ablation (e): compile every candidate, score every permutation
    top_placements: int = 5
    cache_dir: str | None = None  # compile cache (default ~/.cache/aoizora)

    def validate(self) -> None:
        if self.mode not in ("exact", "topk"):
            raise ValueError(f"unknown --mode {self.mode!r}; use exact or topk")
        if self.k < 1:
            raise ValueError(f"--k must be >= 1, got {self.k}")
        if self.compiler not in ("tpu", "cpu"):
            raise ValueError(f"unknown --compiler {self.compiler!r}; use tpu or cpu")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {self.workers}")


@dataclass
class CandidateRecord:
    candidate: Any  # aoizora.models.Candidate
    lower_seconds: float = 0.0
    q1: dict[str, Any] = field(default_factory=dict)
    status: str = "enumerated"
    compile: Any = None  # CompileResult
    ranking: dict[str, Any] | None = None
    failure: str = ""

    @property
    def label(self) -> str:
        return self.candidate.label()

    @property
    def best_seconds(self) -> float | None:
        if not self.ranking or not self.ranking["placements"]:
            return None
        return self.ranking["placements"][0]["seconds"]


@dataclass
class PlanOutcome:
    plan: Plan | None
    records: list[CandidateRecord]
    baselines: list[dict[str, Any]]
    stats: dict[str, Any]
    oracle: dict[str, Any] | None = None


class _Planner:
    def __init__(self, req: PlanRequest, progress: Progress) -> None:
        from aoizora import _core
        from aoizora.compiler.cache import CompileCache
        from aoizora.compiler.wan_workload import wan_workload
        from aoizora.models import model_info

        req.validate()
        self.req = req
        self.core = _core
        self.progress = progress
        self.info = model_info(req.model, req.resolution, req.frames)  # validates the workload
        self.topology = _core.parse_slice_spec(req.topology)  # validates the slice
        self.topology_name = str(req.topology)
        self.num_devices = int(self.topology.num_devices)
        self.workload = wan_workload(req.model, req.resolution, req.frames)
        self.cache = CompileCache(req.cache_dir) if req.cache_dir else None
        self.records: list[CandidateRecord] = []
        self.placements_scored = 0
        self.compiles = 0
        self.compiler_identity = ""

    # -- stages -------------------------------------------------------------------------------

    def enumerate(self) -> None:
        from aoizora.models import candidates

        cands = candidates(self.req.model, self.num_devices)
        if not cands:
            raise ValueError(
                f"{self.req.model} has no valid candidate for {self.num_devices} devices"
            )
        self.records = [CandidateRecord(c) for c in cands]
        self.progress.log(
            f"{len(cands)} candidates for {self.req.model} on {self.topology_name} "
            f"({self.num_devices} devices)"
        )

    def lower_and_bound(self, records: list[CandidateRecord]) -> None:
        from aoizora.compiler import adapter

        with self.progress.stage("lower+Q1", total=len(records)) as tick:
            for rec in records:
                low = adapter.lower(
                    rec.candidate, workload=self.workload, compiler=self.req.compiler
                )
                rec.lower_seconds = low.trace_seconds + low.lower_seconds
                rec.q1 = self.core.q1_bound(low.hlo_text, self.topology_name)
                rec.status = "lowered"
                tick(f"{rec.label}: Q1 {rec.q1['seconds'] * 1e3:.1f} ms")

    def compile_and_rank(self, indices: list[int]) -> list[Any]:
        """The branch and bound's callback: compile these candidates in parallel and rank them."""
        from aoizora.compiler import adapter

        recs = [self.records[i] for i in indices]
        jobs = [
            adapter.make_job(
                r.candidate, self.topology_name, workload=self.workload, compiler=self.req.compiler
            )
            for r in recs
        ]
        with self.progress.stage("compile", total=len(jobs)) as tick:
            results = adapter.compile_jobs(
                jobs,
                workers=self.req.workers,
                timeout_s=self.req.timeout_s,
                cache=self.cache if self.cache is not None else None,
                on_result=lambda job, res: tick(
                    f"{job.candidate}: {res.status}"
                    + (" (cached)" if res.cached else f" ({res.wall_seconds:.0f} s)")
                ),
            )
        outcomes = []
        for rec, res in zip(recs, results, strict=True):
            self.compiles += 0 if res.cached else 1
            outcomes.append(self._evaluate(rec, res))
        return outcomes

    def _evaluate(self, rec: CandidateRecord, res: Any):
        rec.compile = res
        if res.compiler:
            self.compiler_identity = res.compiler
        if not res.ok:
            rec.status, rec.failure = "failed", f"{res.status}: {res.error}".strip(": ")
            return self.core.CompileOutcome(False, 0.0, rec.failure)
        if res.fits is False:
            peak = res.memory.peak_bytes / 1e9
            hbm = res.memory.hbm_bytes / 1e9
            rec.status, rec.failure = (
                "failed",
                f"does not fit: {peak:.2f} GB per chip > {hbm:.0f} GB HBM",
            )
            return self.core.CompileOutcome(False, 0.0, rec.failure)
        rec.ranking = self.rank(rec)
        rec.status = "compiled"
        return self.core.CompileOutcome(True, rec.best_seconds, "")

    def rank(self, rec: CandidateRecord) -> dict[str, Any]:
        cand = rec.candidate
        ranking = self.core.rank_placements(
            rec.compile.hlo_text,
            self.topology_name,
            list(cand.mesh_shape()),
            list(cand.axis_names()),
            top=self.req.top_placements,
        )
        self.placements_scored += int(ranking["reduced_count"]) + int(
            ranking["local_search_evaluations"]
        )
        return ranking

    def ensure_compiled(self, rec: CandidateRecord) -> None:
        if rec.compile is None:
            self.compile_and_rank([self.records.index(rec)])

    def score(self, rec: CandidateRecord, coords: list[list[int]]) -> dict[str, Any]:
        cand = rec.candidate
        return self.core.score_placement(
            rec.compile.hlo_text,
            self.topology_name,
            list(cand.mesh_shape()),
            list(cand.axis_names()),
            coords,
        )

    def record_for(self, candidate) -> CandidateRecord | None:
        for rec in self.records:
            if rec.candidate == candidate:
                return rec
        return None


def run_plan(req: PlanRequest, progress: Progress | None = None) -> PlanOutcome:
    """Plan one scenario. Raises ValueError for bad input (unknown model, slice, ...)."""
    from aoizora.planner import baselines as bl

    progress = progress or Progress(enabled=False)
    wall_start = time.perf_counter()
    p = _Planner(req, progress)
    p.enumerate()
    p.lower_and_bound(p.records)

    bounds = [
        p.core.CandidateBound(r.label, r.q1["seconds"], r.q1["fits_memory"], r.q1["memory_reason"])
        for r in p.records
    ]
    workers = req.workers or _default_workers()
    search = p.core.run_candidate_search(
        bounds, mode=req.mode, top_k=req.k, batch_size=workers, compile_batch=p.compile_and_rank
    )
    for rec, status in zip(p.records, search.status, strict=True):
        if status.startswith("pruned"):
            rec.status = status
    search_compiled = search.num_compiled + search.num_failed

    best = p.records[search.best] if search.best is not None else None
    with progress.stage("baselines") as tick:
        baselines = bl.evaluate_baselines(p, best, tick)
    oracle = bl.oracle(p, tick) if req.oracle else None

    stats = {
        "candidates": len(p.records),
        "lowered": sum(1 for r in p.records if r.q1),
        "pruned_memory": search.num_pruned_memory,
        "pruned_bound": search.num_pruned_bound,
        "pruned": search.num_pruned_memory + search.num_pruned_bound,
        "compiled": search_compiled,
        "compiled_for_baselines": sum(1 for r in p.records if r.compile is not None)
        - search_compiled,
        "failed": sum(1 for r in p.records if r.status == "failed"),
        "fresh_compiles": p.compiles,
        "placements_scored": p.placements_scored,
        "mode": req.mode,
        "wall_seconds": time.perf_counter() - wall_start,
        "stage_seconds": dict(progress.stage_seconds),
    }
    plan = _make_plan(p, best, baselines, stats) if best is not None else None
    return PlanOutcome(plan, p.records, baselines, stats, oracle)


def _default_workers() -> int:
    from aoizora.compiler.adapter import default_workers

    return default_workers()


def _make_plan(p: _Planner, best: CandidateRecord, baselines, stats) -> Plan:
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
        resolution=p.req.resolution,
        frames=p.req.frames,
        topology=p.topology_name,
        compiler=p.compiler_identity,
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
            "q1_seconds": best.q1["seconds"],
            "note": PREDICTION_NOTE,
        },
        partition_specs=_partition_specs(best.candidate),
        runner_ups=runner_ups,
        baselines=baselines,
        stats=stats,
    )


def _partition_specs(candidate) -> dict[str, Any]:
    seq = list(candidate.sequence_axes())
    return {
        "latent_tokens": {
            "batch": "cfg" if candidate.degree("cfg") > 1 else None,
            "sequence": seq or None,
        },
        "attention_heads": "tp" if candidate.degree("tp") > 1 else None,
        "layer_weights": list(candidate.weight_sharding)
        + (["tp"] if candidate.degree("tp") > 1 else []),
    }
