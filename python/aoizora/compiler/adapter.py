"""The compiler adapter: lower a candidate (in process, cheap) and compile it for a slice (in a
separate worker process, with a timeout, cached on disk), one at a time or several in parallel.
Where the compiles run is the executor's business (:mod:`aoizora.compiler.executor`): local
worker processes (the default) or Ray tasks; lowering, the cache and Ctrl-C stay here.

A *candidate* is any object with ``mesh_shape()``, ``axis_names()`` and ``label()`` (for the model
families, ``aoizora.models.Candidate``); its label is the text the workload factory parses back.
The *workload* names the factory that builds the computation (a model family's
``ModelFamily.workload``; see :mod:`aoizora.compiler.job`).

Compilers: ``"tpu"`` is the TPU compiler itself, ahead of time through libtpu's topology
description (the default); ``"cpu"`` is the XLA CPU backend with a forced host device count, a
fallback labelled as such in every result (other fusion, collective lowering and memory figures).

Ctrl-C while compiling: the first starts no new compile and lets the running ones finish (their
results are cached, so a rerun reuses them), saying so; a second kills the worker processes and
stops at once. Workers run in their own session (a terminal's Ctrl-C does not reach them) and
exit when the planner that started them dies, even by ``kill -9``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from aoizora.compiler import env
from aoizora.compiler.cache import CompileCache, cache_key
from aoizora.compiler.executor import Executor, LocalExecutor
from aoizora.compiler.job import CompileJob, CompileResult, LowerResult, Workload

DEFAULT_TIMEOUT_S = 1800.0
# Only deterministic outcomes are cached; a timeout or a crash may not repeat.
_CACHEABLE = ("ok", "oom")

# Live worker processes (each the leader of its own process group) and whether a second Ctrl-C
# asked to kill them: no new worker starts after that.
_workers: set[subprocess.Popen] = set()
_workers_lock = threading.Lock()
_killing = threading.Event()


_LOCAL = LocalExecutor()


def _kill_workers() -> int:
    """SIGKILL every live worker's process group; the number killed."""
    _killing.set()
    with _workers_lock:
        procs = list(_workers)
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):  # the worker's own session, started by us
            os.killpg(proc.pid, signal.SIGKILL)
    return len(procs)


class CandidateLike(Protocol):
    def mesh_shape(self) -> tuple[int, ...]: ...
    def axis_names(self) -> tuple[str, ...]: ...
    def label(self) -> str: ...


def default_workers() -> int:
    """``$AOIZORA_COMPILE_WORKERS`` if set, else ``os.cpu_count()``."""
    value = os.environ.get("AOIZORA_COMPILE_WORKERS")
    if value:
        n = int(value)
        if n < 1:
            raise ValueError(f"AOIZORA_COMPILE_WORKERS must be >= 1, got {value!r}")
        return n
    return os.cpu_count() or 1


def make_job(
    candidate: CandidateLike,
    topology: str,
    *,
    workload: Workload,
    compiler: str = "tpu",
    options: dict[str, Any] | None = None,
    device_ids: Sequence[int] | None = None,
) -> CompileJob:
    from aoizora.compiler.tpu_topology import parse_slice_spec

    spec = parse_slice_spec(topology)  # validates the spec with a clear error
    return CompileJob(
        workload=workload,
        candidate=candidate.label(),
        mesh_shape=tuple(int(d) for d in candidate.mesh_shape()),
        axis_names=tuple(candidate.axis_names()),
        topology=str(spec),
        compiler=compiler,
        options=tuple(sorted((str(k), str(v)) for k, v in (options or {}).items())),
        device_ids=None if device_ids is None else tuple(int(i) for i in device_ids),
    )


def lower(candidate: CandidateLike, *, workload: Workload, compiler: str = "tpu") -> LowerResult:
    """Pre-compile HLO text (``lowered.as_text(dialect="hlo")``) and timing, in this process.

    Lowers against an AbstractMesh, so no devices are needed; the text equals the lowering
    against the slice's concrete devices (docs/compilers.md).
    """
    job = CompileJob(
        workload=workload,
        candidate=candidate.label(),
        mesh_shape=tuple(int(d) for d in candidate.mesh_shape()),
        axis_names=tuple(candidate.axis_names()),
        topology="",  # lowering does not depend on the slice
        compiler=compiler,
    )
    return lower_job_text(job)


class _Counter:
    """How many lowerings this process ran (the planner checks each candidate is lowered once)."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


_LOWERINGS = _Counter()


def lowering_count() -> int:
    """Lowerings run in this process so far (tracing + lowering; workers' are their own)."""
    return _LOWERINGS.value


def lower_job_text(job: CompileJob) -> LowerResult:
    env.configure()
    from aoizora.compiler.lowering import lower_job

    _LOWERINGS.add()
    return lower_job(job)[1]


LOG_DIR_ENV = "AOIZORA_LOG_DIR"
_UNSAFE = re.compile(r"[^A-Za-z0-9=,.+-]+")


def worker_log_path(job: CompileJob, key: str) -> Path | None:
    """Where a worker's output (libtpu's and XLA's messages included) is kept:
    ``$AOIZORA_LOG_DIR/compile/<candidate>-<key>.log``; None without a usable log directory (the
    output then lives in a temporary file, quoted in errors)."""
    root = os.environ.get(LOG_DIR_ENV)
    if not root:
        return None
    directory = Path(root) / "compile"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return directory / f"{_UNSAFE.sub('_', job.candidate)[:80] or 'job'}-{key[:12]}.log"


def _run_worker(job: CompileJob, key: str, timeout_s: float) -> CompileResult:
    """Run one job in a fresh Python process (its output to a log file); classify how it ended."""
    with tempfile.TemporaryDirectory(prefix="aoizora-compile-") as tmp:
        job_path, result_path, log_path = (Path(tmp) / n for n in ("job.json", "out.json", "log"))
        kept = worker_log_path(job, key)
        if kept is not None:
            log_path = kept
        job_path.write_text(json.dumps({**json.loads(job.to_json()), "key": key}))
        cmd = [sys.executable, "-m", "aoizora.compiler.worker", str(job_path), str(result_path)]
        t0 = time.perf_counter()
        with open(log_path, "w") as log, _workers_lock:
            if _killing.is_set():
                return _failed(job, "interrupted", "not started: interrupted", key)
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "AOIZORA_PLANNER_PID": str(os.getpid())},
            )
            _workers.add(proc)
        try:
            rc = proc.wait(timeout=timeout_s)
            status = None
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker's own session, started above
            proc.wait()
            rc, status = proc.returncode, "timeout"
        finally:
            with _workers_lock:
                _workers.discard(proc)
        if _killing.is_set() and rc != 0 and status is None:
            status = "interrupted"
        wall = time.perf_counter() - t0
        where = f" (worker log: {log_path})" if kept is not None else ""
        if status is None and result_path.exists():
            result = CompileResult.from_dict(json.loads(result_path.read_text()))
            result.wall_seconds = wall
            if result.status not in _CACHEABLE and where:  # a cached entry outlives the log
                result.error += where
            return result
        tail = log_path.read_text(errors="replace")[-2000:]
        if status == "timeout":
            error = f"compile exceeded the {timeout_s:g} s timeout and was killed{where}"
        elif status == "interrupted":
            error = f"compile worker killed: interrupted (Ctrl-C twice){where}"
        else:
            how = f"signal {-rc}" if rc < 0 else f"exit code {rc}"
            error = f"compile worker died ({how}) without a result{where}; log tail:\n{tail}"
            status = "crashed"
        result = _failed(job, status, error, key)
        result.wall_seconds = wall
        return result


def _failed(job: CompileJob, status: str, error: str, key: str = "") -> CompileResult:
    from aoizora.compiler.worker import compiler_identity

    return CompileResult(
        status=status,
        candidate=job.candidate,
        topology=job.topology,
        compiler=compiler_identity(job),
        key=key,
        mesh_shape=job.mesh_shape,
        axis_names=job.axis_names,
        error=error,
    )


def compile_job(
    job: CompileJob,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache: CompileCache | None | bool = None,
    lowered: LowerResult | None = None,
    executor: Executor | None = None,
) -> CompileResult:
    """Compile one job: cache lookup by the lowered text's hash, else a worker process
    (``executor``: where it runs; default a local worker process).

    ``cache``: None uses the default directory, False disables caching.
    """
    store = None if cache is False else (cache if isinstance(cache, CompileCache) else None)
    if cache is None:
        store = CompileCache()
    low = lowered if lowered is not None else lower_job_text(job)
    key = cache_key(job, low.sha256)
    if store is not None:
        hit = store.get(key, job)
        if hit is not None:
            return hit
    result = (executor or _LOCAL).run(job, key, timeout_s)
    if result.lowered_sha256 and result.lowered_sha256 != low.sha256:
        # The worker lowered other text than this process did (the model's source changed in
        # between, or lowering is not deterministic): file the result under what it compiled.
        result.key = cache_key(job, result.lowered_sha256)
        result.error = (result.error + "\n" if result.error else "") + (
            "note: the worker's lowering differs from this process's; cached under the worker's"
        )
    if store is not None and result.status in _CACHEABLE:
        store.put(result)
    return result


def compile(  # noqa: A001 - the adapter's verb
    candidate: CandidateLike,
    topology: str,
    *,
    workload: Workload,
    compiler: str = "tpu",
    options: dict[str, Any] | None = None,
    device_ids: Sequence[int] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache: CompileCache | None | bool = None,
) -> CompileResult:
    """Compile ``candidate`` for the slice ``topology``; see :func:`compile_job`."""
    job = make_job(
        candidate,
        topology,
        workload=workload,
        compiler=compiler,
        options=options,
        device_ids=device_ids,
    )
    return compile_job(job, timeout_s=timeout_s, cache=cache)


def compile_jobs(
    jobs: Sequence[CompileJob],
    *,
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache: CompileCache | None | bool = None,
    progress: bool = False,
    on_result: Callable[[CompileJob, CompileResult], None] | None = None,
    lowered: Sequence[LowerResult | None] | None = None,
    executor: Executor | None = None,
) -> list[CompileResult]:
    """Compile several jobs, up to ``workers`` at a time (default: the executor's slots: this
    host's CPU count for local worker processes, the cluster's CPUs for Ray tasks).

    The cache key hashes each job's lowering: ``lowered[i]`` when the caller has it (the planner
    lowered every candidate for Q1 already), else lowered here, one job after another. Compiles
    run in parallel. Results come back in the order of ``jobs``.
    """
    executor = executor or _LOCAL
    n_workers = workers if workers is not None else executor.slots()
    if n_workers < 1:
        raise ValueError(f"workers must be >= 1, got {n_workers}")
    if lowered is not None and len(lowered) != len(jobs):
        raise ValueError(f"{len(lowered)} lowerings for {len(jobs)} jobs")
    results: list[CompileResult | None] = [None] * len(jobs)
    # Lower each job just before a worker slot frees up, so the text hashed here is the text the
    # worker lowers moments later (and big lowerings are not all held at once).
    slots = threading.Semaphore(n_workers)
    interrupts = _Interrupts(executor)
    with (
        interrupts,
        _progress(progress, len(jobs)) as advance,
        ThreadPoolExecutor(n_workers) as pool,
    ):

        def finish(i: int, fut) -> None:
            slots.release()
            if fut.exception() is not None:
                return  # re-raised below by fut.result()
            results[i] = fut.result()
            advance(jobs[i], results[i])
            if on_result is not None:
                on_result(jobs[i], results[i])

        futures = []
        for i, job in enumerate(jobs):
            while not slots.acquire(timeout=0.2):
                if interrupts.stopping:
                    break
            if interrupts.stopping:
                break
            try:
                # Tracing stays on this thread.
                low = lowered[i] if lowered is not None and lowered[i] is not None else None
                low = low or lower_job_text(job)
            except Exception as e:  # a candidate the factory cannot build fails alone
                slots.release()
                results[i] = _failed(job, "error", f"lowering failed: {type(e).__name__}: {e}")
                advance(job, results[i])
                if on_result is not None:
                    on_result(job, results[i])
                continue
            if interrupts.stopping:  # Ctrl-C while lowering: start nothing new
                slots.release()
                break
            fut = pool.submit(
                compile_job, job, timeout_s=timeout_s, cache=cache, lowered=low, executor=executor
            )
            fut.add_done_callback(lambda f, i=i: finish(i, f))
            futures.append(fut)
        for fut in futures:
            fut.result()
    if interrupts.stopping:
        raise KeyboardInterrupt
    return [r for r in results if r is not None]


class _Interrupts:
    """SIGINT during :func:`compile_jobs` (main thread only): the first stops starting compiles
    and lets the running ones finish and be cached; the second kills the workers."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.stopping = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> _Interrupts:
        self.executor.begin()
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if not self.stopping:
            self.stopping = True
            self.executor.stop_queued()
            running = self.executor.running()
            print(
                f"\naoizora: interrupted: finishing the {running} compile(s) running now (their "
                "results are cached for the next run); press Ctrl-C again to stop them at once",
                file=sys.stderr,
                flush=True,
            )
            return
        killed = self.executor.kill()
        what = "compile worker(s)" if self.executor.name == "local" else "compile task(s)"
        print(
            f"\naoizora: interrupted again: stopped {killed} {what}",
            file=sys.stderr,
            flush=True,
        )
        raise KeyboardInterrupt


def compile_many(
    candidates: Iterable[CandidateLike],
    topology: str,
    *,
    workload: Workload,
    compiler: str = "tpu",
    options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> list[CompileResult]:
    """:func:`compile_jobs` for candidates on one slice (device order: by id)."""
    jobs = [
        make_job(c, topology, workload=workload, compiler=compiler, options=options)
        for c in candidates
    ]
    return compile_jobs(jobs, **kwargs)


class _progress:
    """A rich progress bar over compiles (or nothing); yields ``advance(job, result)``."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self.bar = None

    def __enter__(self) -> Callable[[CompileJob, CompileResult], None]:
        if not self.enabled:
            return lambda job, result: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        )
        self.bar.start()
        task = self.bar.add_task("compiling", total=self.total)

        def advance(job: CompileJob, result: CompileResult) -> None:
            note = "cached" if result.cached else f"{result.wall_seconds:.0f} s"
            self.bar.update(
                task, advance=1, description=f"{job.candidate}: {result.status} ({note})"
            )

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
