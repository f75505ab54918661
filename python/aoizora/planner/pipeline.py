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
from aoizora.planner.sources import (
    DEFAULT_COMPUTE,
    check_compute,
    resolve_attention,
    tpu_generation,
)


@dataclass
class PlanRequest:
    model: str = "wan2.1-t2v-1.3b"
    resolution: str = "480p"
    frames: int = 81
    topology: str = "v5e:2x4"
    mode: str = "topk"  # topk (the main job) | exact
    k: int = 4
    compiler: str = "tpu"  # tpu (AOT through libtpu) | cpu (labelled fallback)
    # splash | pallas (fused TPU kernels) | jax (blockwise, plain JAX); None: what users run on
    # the compiler (splash on TPU, jax on CPU), resolved by validate().
    attention: str | None = None
    compute: str = DEFAULT_COMPUTE  # Q2's compute source: compiler (libtpu's cycles) | roofline
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
        self.attention = resolve_attention(self.attention, self.compiler)
        check_compute(self.compute)
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

    @property
    def worst_seconds(self) -> float | None:
        """Q2 of the worst placement in the searched (structured) space."""
        return self.ranking.get("worst_seconds") if self.ranking else None


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
        self.workload = wan_workload(
            req.model,
            req.resolution,
            req.frames,
            req.attention,
            tpu_generation=tpu_generation(self.topology_name),
        )
        self.cache = CompileCache(req.cache_dir) if req.cache_dir else None
        self.records: list[CandidateRecord] = []
        # Programs outside our space that a baseline runs (wan-official's sequential CFG), keyed
        # by (candidate, CFG mode): compiled and scored like candidates, never planned.
        self.variants: dict[tuple[Any, str], CandidateRecord] = {}
        self.placements_scored = 0
        self.compiles = 0

    # -- stages -------------------------------------------------------------------------------

    def enumerate(self) -> None:
        from aoizora.models import candidates

        cands = candidates(self.req.model, self.num_devices, tokens=self.info["tokens"])
        if not cands:
            raise ValueError(
                f"{self.req.model} has no valid candidate for {self.num_devices} devices"
            )
        self.records = [CandidateRecord(c) for c in cands]
        self.progress.log(
            f"{len(cands)} candidates for {self.req.model} on {self.topology_name} "
            f"({self.num_devices} devices)"
        )

    def lower_and_bound(self, records: list[CandidateRecord], workload: Any = None) -> None:
        from aoizora.compiler import adapter

        workload = workload or self.workload
        with self.progress.stage("lower+Q1", total=len(records)) as tick:
            for rec in records:
                try:
                    low = adapter.lower(
                        rec.candidate, workload=workload, compiler=self.req.compiler
                    )
                    rec.q1 = self.core.q1_bound(
                        low.hlo_text, self.topology_name, compute=self.req.compute
                    )
                except Exception as e:  # noqa: BLE001 - one candidate fails, not the plan
                    rec.status, rec.failure = "failed", f"lowering: {type(e).__name__}: {e}"
                    tick(f"{rec.label}: lowering failed")
                    continue
                rec.lower_seconds = low.trace_seconds + low.lower_seconds
                rec.status = "lowered"
                tick(f"{rec.label}: Q1 {rec.q1['seconds'] * 1e3:.1f} ms")

    def compile_and_rank(self, indices: list[int]) -> list[Any]:
        """The branch and bound's callback: compile these candidates in parallel and rank them."""
        return self._compile([self.records[i] for i in indices], self.workload)

    def _compile(self, recs: list[CandidateRecord], workload: Any) -> list[Any]:
        """Compile and rank ``recs`` in parallel; ``workload`` is one for all or one per record."""
        from aoizora.compiler import adapter

        workloads = workload if isinstance(workload, list) else [workload] * len(recs)
        jobs = [
            adapter.make_job(
                r.candidate, self.topology_name, workload=w, compiler=self.req.compiler
            )
            for r, w in zip(recs, workloads, strict=True)
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
        for rec, job, res in zip(recs, jobs, results, strict=True):
            self.compiles += 0 if res.cached else 1
            outcomes.append(self._evaluate(rec, res, job))
        return outcomes

    def _recompile(self, job: Any, res: Any, error: Exception) -> Any:
        """A cached result whose HLO does not parse is a cache fault, not bad input: drop the
        entry (with a warning naming it) and compile again."""
        from aoizora.compiler import adapter
        from aoizora.compiler.cache import CompileCache

        store = self.cache if self.cache is not None else CompileCache()
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        store.discard(res.key, f"holds compiled HLO that does not parse ({first})")
        fresh = adapter.compile_job(job, timeout_s=self.req.timeout_s, cache=store)
        self.compiles += 0 if fresh.cached else 1
        return fresh

    def _evaluate(self, rec: CandidateRecord, res: Any, job: Any = None):
        rec.compile = res
        if res.fits is False:  # libtpu's out-of-memory refusal, or the peak after compile
            rec.status, rec.failure = "failed", "does not fit: " + _memory_note(res)
            return self.core.CompileOutcome(False, 0.0, rec.failure)
        if not res.ok:
            rec.status, rec.failure = "failed", f"{res.status}: {res.error}".strip(": ")
            return self.core.CompileOutcome(False, 0.0, rec.failure)
        try:
            rec.ranking = self.rank(rec)
        except ValueError as e:
            if not res.cached or job is None:
                raise
            return self._evaluate(rec, self._recompile(job, res, e))
        rec.status = "compiled"
        return self.core.CompileOutcome(True, rec.best_seconds, "")

    def jax_orders(self, cand) -> list[tuple[str, list[list[int]]]]:
        """The device orders JAX users get for the candidate's mesh (jax.make_mesh,
        mesh_utils.create_device_mesh, device-id order), those JAX can build."""
        from aoizora.baselines import recipes as rc

        out = []
        for method in (rc.MAKE_MESH, rc.CREATE_DEVICE_MESH, rc.ID_ORDER):
            where = rc.place(method, self.topology_name, cand.mesh_shape(), cand.axis_names())
            if where.ok:
                out.append((method, where.device_coords))
        return out

    def rank(self, rec: CandidateRecord) -> dict[str, Any]:
        cand = rec.candidate
        orders = self.jax_orders(cand)
        ranking = self.core.rank_placements(
            rec.compile.hlo_text,
            self.topology_name,
            list(cand.mesh_shape()),
            list(cand.axis_names()),
            top=self.req.top_placements,
            baselines=[coords for _, coords in orders],
            compute=self.req.compute,
        )
        self.placements_scored += (
            int(ranking["reduced_count"]) + int(ranking["local_search_evaluations"]) + len(orders)
        )
        # The structured space need not contain JAX's orders; never report a placement worse
        # than one a JAX user gets without searching.
        for (method, _), row in zip(orders, ranking["baselines"], strict=True):
            if ranking["placements"] and row["seconds"] < ranking["placements"][0]["seconds"]:
                ranking["placements"].insert(
                    0, {**row, "description": f"{method} order (beat the searched space)"}
                )
        return ranking

    def ensure_compiled(self, rec: CandidateRecord) -> None:
        if rec.compile is None:
            self.compile_and_rank([self.records.index(rec)])

    def variant_workload(self, cfg_mode: str) -> Any:
        from aoizora.planner.variants import variant_workload

        return variant_workload(self.req, cfg_mode)

    def variant(self, candidate: Any, cfg_mode: str) -> CandidateRecord:
        """The record of ``candidate`` run with CFG as ``cfg_mode`` (a program outside our space,
        e.g. wan-official's sequential passes), lowered and bounded (Q1, memory); not compiled."""
        key = (candidate, cfg_mode)
        if key not in self.variants:
            rec = CandidateRecord(candidate)
            self.variants[key] = rec
            try:
                workload = self.variant_workload(cfg_mode)
            except ValueError as e:
                rec.status, rec.failure = "failed", f"{cfg_mode} CFG: {e}"
                return rec
            self.lower_and_bound([rec], workload)
        return self.variants[key]

    def ensure_variant_compiled(self, rec: CandidateRecord) -> None:
        if rec.compile is None:
            self.compile_together([rec])

    def compile_together(self, recs: list[CandidateRecord]) -> None:
        """Compile candidates and variants not compiled yet in one parallel batch (the baselines'
        compiles: one at a time they would leave workers idle)."""
        todo, workloads = [], []
        for rec in recs:
            if rec.compile is not None or rec in todo:
                continue
            mode = next((m for (_, m), r in self.variants.items() if r is rec), None)
            todo.append(rec)
            workloads.append(self.workload if mode is None else self.variant_workload(mode))
        if todo:
            self._compile(todo, workloads)

    def id_order(self) -> list[list[int]]:
        """Chip coordinates (plus the core on multi-core chips) of device ids 0..N-1."""
        from aoizora.baselines.recipes import id_order

        return id_order(self.topology_name)

    def score(self, rec: CandidateRecord, coords: list[list[int]]) -> dict[str, Any]:
        cand = rec.candidate
        return self.core.score_placement(
            rec.compile.hlo_text,
            self.topology_name,
            list(cand.mesh_shape()),
            list(cand.axis_names()),
            coords,
            compute=self.req.compute,
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
    workers = req.workers or _default_workers()
    search = p.core.run_candidate_search(
        bounds,
        mode=req.mode,
        top_k=req.k,
        batch_size=workers,
        compile_batch=lambda idx: p.compile_and_rank([searchable[i] for i in idx]),
    )
    for i, status in zip(searchable, search.status, strict=True):
        if status.startswith(("pruned", "not compiled")):
            p.records[i].status = status
    search_compiled = search.num_compiled + search.num_failed

    best = _best_ranked(p.records)
    rows = 1 + (best is not None) + len(bl.EXISTING)  # alpha-beta, ours+*, each recipe
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
        "placements_scored": p.placements_scored,
        "mode": req.mode,
        "wall_seconds": time.perf_counter() - wall_start,
        "stage_seconds": dict(progress.stage_seconds),
    }
    plan = _make_plan(p, best, baselines, stats, oracle) if best is not None else None
    return PlanOutcome(plan, p.records, baselines, stats, oracle)


def _best_ranked(records: list[CandidateRecord]) -> CandidateRecord | None:
    ranked = [r for r in records if r.best_seconds is not None]
    return min(ranked, key=lambda r: r.best_seconds) if ranked else None


def _memory_note(res: Any) -> str:
    if res.memory is not None:
        return (
            f"{res.memory.peak_bytes / 1e9:.2f} GB per chip > {res.memory.hbm_bytes / 1e9:.0f} GB "
            "HBM"
        )
    if res.oom_used_bytes:
        return (
            f"needs {res.oom_used_bytes / 1e9:.2f} GB, {res.oom_limit_bytes / 1e9:.2f} GB usable "
            "(libtpu)"
        )
    return (res.error or "out of memory")[:200]


def _default_workers() -> int:
    from aoizora.compiler.adapter import default_workers

    return default_workers()


def _make_plan(p: _Planner, best: CandidateRecord, baselines, stats, oracle) -> Plan:
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
            "note": PREDICTION_NOTE,
        },
        partition_specs=_partition_specs(best.candidate),
        runner_ups=runner_ups,
        baselines=baselines + ([_oracle_row(oracle)] if oracle and oracle.get("ran") else []),
        stats=stats,
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
