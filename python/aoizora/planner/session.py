"""The planning session: one scenario on one slice, its candidate records, their lowering, compile
and placement ranking (:class:`PlanningSession`). ``run_plan`` (``pipeline``), the baselines,
``predict`` and the oracle use it; the decisions (Q1, the search's order and pruning, placement
search, Q2) are calls into the C++ core. Every latency is a model prediction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from aoizora.planner.progress import Progress
from aoizora.planner.sources import (
    DEFAULT_COMPUTE,
    check_compute,
    resolve_attention,
    tpu_generation,
)


@dataclass
class PlanRequest:
    model: str = "wan2.1-t2v-1.3b"  # the README's main job
    resolution: str | None = None  # None: the family's default for the model
    frames: int | None = None  # video families (None: their default); None for images
    batch: int = 1  # samples per step (images of a batch for image families)
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
    # A calibration file (aoizora calibrate): its constants replace the sourced table's in every
    # model path; None: the table.
    calibration: str | None = None
    measure: int = 0  # --measure N: run the N best plans and every baseline on the devices
    measure_steps: int = 5  # timed steps per measured row
    measure_warmup: int = 2  # untimed steps before them
    executor: str = "local"  # where compiles run: local worker processes | ray tasks
    ray_address: str | None = None  # --executor ray: a cluster (else $RAY_ADDRESS, else local)

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
        if self.measure < 0:
            raise ValueError(f"--measure must be >= 0, got {self.measure}")
        from aoizora.compiler.executor import EXECUTORS

        if self.executor not in EXECUTORS:
            raise ValueError(f"unknown --executor {self.executor!r}; use local or ray")
        if self.ray_address and self.executor != "ray":
            raise ValueError(f"--ray-address {self.ray_address!r} needs --executor ray")


@dataclass
class CandidateRecord:
    candidate: Any  # aoizora.models.Candidate
    lowered: Any = None  # LowerResult: the pre-compile HLO, lowered once, reused by the compile
    compiled: Any = None  # _core.CompiledCandidate: the compiled HLO, parsed once
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
    def does_not_fit(self) -> bool:
        """Its compile says it does not fit: libtpu's out-of-memory refusal, or the peak after
        compile above the chip's HBM (the failure text says which)."""
        return self.compile is not None and self.compile.fits is False

    @property
    def best_seconds(self) -> float | None:
        if not self.ranking or not self.ranking["placements"]:
            return None
        return self.ranking["placements"][0]["seconds"]

    @property
    def worst_seconds(self) -> float | None:
        """Q2 of the worst placement in the searched (structured) space."""
        return self.ranking.get("worst_seconds") if self.ranking else None


class PlanningSession:
    """One scenario on one slice, and everything compiled and scored for it so far: the public
    interface the plan loop, the baselines, ``predict`` and the oracle share.

    - ``family``, ``scenario``, ``info``, ``topology`` (bound C++ object), ``workload``;
    - ``records`` (our candidates, :meth:`enumerate`), :meth:`record_for`, :meth:`variant`
      (a program a recipe runs that is outside our space);
    - :meth:`lower_and_bound` (pre-compile HLO, Q1, memory verdict; the lowering is kept for the
      compile), :meth:`compile_records` / :meth:`ensure_compiled` / :meth:`compile_together`
      (parallel workers, compile cache), :meth:`rank` and :meth:`score` (Q2 of placements).
    Every latency is a model prediction.
    """

    def __init__(self, req: PlanRequest, progress: Progress) -> None:
        from aoizora import _core
        from aoizora.compiler.cache import CompileCache
        from aoizora.models import family_of

        req.validate()
        self.req = req
        self.core = _core
        self.progress = progress
        self.family = family_of(req.model)
        # The checked scenario (defaults filled); the request carries the filled values.
        self.scenario = self.family.scenario(req.model, req.resolution, req.frames, req.batch)
        req.resolution, req.frames = self.scenario.resolution, self.scenario.frames
        self.info = self.family.info(self.scenario)
        from aoizora.calibrate import calibrated_topology, constant_sources, load_calibration

        # Validates the slice; a calibration (refused for another device kind) replaces the
        # table's constants for every Q1, rank, score and oracle call below.
        self.calibration = load_calibration(req.calibration) if req.calibration else None
        self.topology = calibrated_topology(_core.parse_slice_spec(req.topology), self.calibration)
        self.constant_sources = constant_sources(self.topology, self.calibration)
        self.topology_name = str(req.topology)
        self.num_devices = int(self.topology.num_devices)
        self.workload = self.family.workload(
            self.scenario, req.attention, tpu_generation=tpu_generation(self.topology_name)
        )
        self.cache = CompileCache(req.cache_dir) if req.cache_dir else None
        self.records: list[CandidateRecord] = []
        # Programs outside our space that a baseline runs (e.g. a recipe's other guidance
        # schedule), keyed by (candidate, workload variant): compiled and scored like
        # candidates, never planned.
        self.variants: dict[tuple[Any, tuple], CandidateRecord] = {}
        self.placements_scored = 0
        self.compiles = 0
        self.executor = self._make_executor()

    def _make_executor(self) -> Any:
        """Where compiles run. A Ray cluster is joined now: its CPUs are the default number of
        compiles at once (the search's batch), and a bad address fails before any work."""
        from aoizora.compiler.executor import make_executor

        if self.req.executor == "ray":
            where = self.req.ray_address or os.environ.get("RAY_ADDRESS") or "a local instance"
            self.progress.log(f"starting Ray ({where}) ...")
        executor = make_executor(
            self.req.executor,
            address=self.req.ray_address,
            workers=self.req.workers,
            shared_cache_dir=self.req.cache_dir,
        )
        if self.req.executor != "local":
            import atexit

            atexit.register(executor.close)
            if self.req.workers is None:
                self.req.workers = executor.slots()
            self.progress.log(f"compiling on Ray: {executor.slots()} CPUs")
        return executor

    # -- stages -------------------------------------------------------------------------------

    def enumerate(self) -> None:
        cands = self.family.candidates(self.scenario, self.num_devices)
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
                    rec.q1 = (
                        self.core.PrecompiledCandidate(low.hlo_text, self.topology)
                        .q1(compute=self.req.compute)
                        .to_dict()
                    )
                except Exception as e:  # noqa: BLE001 - one candidate fails, not the plan
                    rec.status, rec.failure = "failed", f"lowering: {type(e).__name__}: {e}"
                    tick(f"{rec.label}: lowering failed")
                    continue
                rec.lowered = low
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
            # Ray: queued, running and done per node as tasks start and end.
            self.executor.on_change = lambda line: tick(line, advance=0)
            results = adapter.compile_jobs(
                jobs,
                workers=self.req.workers,
                timeout_s=self.req.timeout_s,
                cache=self.cache if self.cache is not None else None,
                lowered=[r.lowered for r in recs],
                executor=self.executor,
                on_result=lambda job, res: tick(
                    f"{job.candidate}: {res.status}"
                    + (" (cached)" if res.cached else f" ({res.wall_seconds:.0f} s)")
                ),
            )
        self.executor.on_change = None
        if self.executor.status_line():
            self.progress.log(self.executor.status_line())
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
        fresh = adapter.compile_job(
            job, timeout_s=self.req.timeout_s, cache=store, executor=self.executor
        )
        self.compiles += 0 if fresh.cached else 1
        return fresh

    def _evaluate(self, rec: CandidateRecord, res: Any, job: Any = None):
        rec.compile, rec.compiled = res, None  # a new result: parse it afresh
        if res.fits is False:  # libtpu's out-of-memory refusal, or the peak after compile
            rec.status, rec.failure = "failed", "does not fit: " + memory_note(res)
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

    def compiled(self, rec: CandidateRecord) -> Any:
        """The record's compiled module as a CompiledCandidate, parsed and analyzed once; rank,
        score, the oracle and the simulator reuse it."""
        if rec.compiled is None:
            rec.compiled = self.core.CompiledCandidate(
                rec.compile.hlo_text,
                self.topology,
                list(rec.candidate.mesh_shape()),
                list(rec.candidate.axis_names()),
            )
        return rec.compiled

    def rank(self, rec: CandidateRecord) -> dict[str, Any]:
        orders = self.jax_orders(rec.candidate)
        ranking = (
            self.compiled(rec)
            .rank(
                top=self.req.top_placements,
                baselines=[coords for _, coords in orders],
                compute=self.req.compute,
            )
            .to_dict()
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

    def variant_workload(self, variant: tuple[tuple[str, Any], ...]) -> Any:
        """The workload of the scenario's step run as ``variant`` (a recipe's program)."""
        return self.family.workload(
            self.scenario,
            self.req.attention,
            tpu_generation=tpu_generation(self.topology_name),
            variant=variant,
        )

    def variant(self, candidate: Any, variant: tuple[tuple[str, Any], ...]) -> CandidateRecord:
        """The record of ``candidate`` run as the workload ``variant`` (a program outside our
        space, e.g. a recipe's sequential guidance passes), lowered and bounded (Q1, memory);
        not compiled."""
        key = (candidate, tuple(variant))
        if key not in self.variants:
            rec = CandidateRecord(candidate)
            self.variants[key] = rec
            try:
                workload = self.variant_workload(variant)
            except ValueError as e:
                what = ", ".join(f"{k}={v}" for k, v in variant)
                rec.status, rec.failure = "failed", f"{what}: {e}"
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
            variant = next((v for (_, v), r in self.variants.items() if r is rec), None)
            todo.append(rec)
            workloads.append(self.workload if variant is None else self.variant_workload(variant))
        if todo:
            self._compile(todo, workloads)

    def compile_candidate(self, candidate) -> CandidateRecord:
        """One candidate outside the search (``predict``, validate's V4): checked against the
        family's rules, lowered, bounded and compiled (cache first). RuntimeError naming it when
        it cannot be lowered; a failed compile is the record's ``compile`` result."""
        self.family.validate(self.scenario, self.num_devices, candidate)
        rec = CandidateRecord(candidate)
        self.lower_and_bound([rec])
        if rec.failure:
            raise RuntimeError(f"{candidate.label()}: {rec.failure}")
        self.compile_together([rec])
        return rec

    def id_order(self) -> list[list[int]]:
        """Chip coordinates (plus the core on multi-core chips) of device ids 0..N-1."""
        from aoizora.baselines.recipes import id_order

        return id_order(self.topology_name)

    def score(self, rec: CandidateRecord, coords: list[list[int]]) -> dict[str, Any]:
        return rec.compiled.score(coords, compute=self.req.compute).to_dict()

    def simulate(self, rec: CandidateRecord, coords: list[list[int]]) -> float | None:
        """The step on SimGrid at ``coords`` (docs/simgrid.md; a simulator prediction): the plan
        table's second opinion. None when the core was built without SimGrid, or when the
        simulation failed: a second opinion never costs the plan (a warning says why, once)."""
        if rec.compiled is None or not self.core.simgrid_available():
            return None
        try:
            if getattr(self, "_simulator", None) is None:
                self._simulator = self.core.Simulator(self.topology)
            step = self._simulator.simulate_steps(rec.compiled, [coords], compute=self.req.compute)
        except (RuntimeError, ValueError, OSError) as e:
            if not getattr(self, "_simulation_warned", False):
                self._simulation_warned = True
                self.progress.log(
                    f"warning: SimGrid could not replay {rec.label} ({e}); its SimGrid column "
                    "is empty (the plan does not depend on it)"
                )
            return None
        return step[0].seconds

    def record_for(self, candidate) -> CandidateRecord | None:
        for rec in self.records:
            if rec.candidate == candidate:
                return rec
        return None


def memory_note(res: Any) -> str:
    """Why a compile result does not fit, in words (HBM peak, or libtpu's refusal)."""
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


def default_workers() -> int:
    from aoizora.compiler.adapter import default_workers

    return default_workers()
