"""Where compile jobs run: the seam between :func:`aoizora.compiler.adapter.compile_jobs` (lowering
for the cache key, cache lookups and writes, parallelism, Ctrl-C) and the processes that compile.

``local`` (the default) runs each job in a fresh worker process on this host
(:mod:`aoizora.compiler.worker`). ``ray`` submits each job as a Ray task to a Ray cluster, or to a
local Ray instance when none is given (:mod:`aoizora.compiler.executor_ray`). Either way the job
goes out as data, the worker's compile function is the same (``worker.run_job``), the result comes
back to this process, and this process alone writes the compile cache (key and format unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aoizora.compiler.job import CompileJob, CompileResult

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    """Runs one compile job at a time per caller thread; several threads call :meth:`run`."""

    name: str
    on_change: Callable[[str], None] | None  # told :meth:`status_line` when it changes

    def slots(self) -> int:
        """Compiles to run at once when the caller does not say (``--workers``)."""
        ...

    def begin(self) -> None:
        """A batch of compiles starts (clears an earlier interruption)."""
        ...

    def run(self, job: CompileJob, key: str, timeout_s: float) -> CompileResult:
        """Compile ``job`` (cache key ``key``) and classify how it ended; never raises for a
        failed compile: a crash, a timeout or an interruption is a result."""
        ...

    def running(self) -> int:
        """Compiles started and not finished."""
        ...

    def stop_queued(self) -> int:
        """First Ctrl-C: drop compiles handed over but not started; the number dropped."""
        ...

    def kill(self) -> int:
        """Second Ctrl-C: stop every running compile at once; the number stopped."""
        ...

    def describe(self) -> dict[str, Any]:
        """What ran where, for plan.json's stats (no timings)."""
        ...

    def status_line(self) -> str:
        """Tasks queued, running and done per node, in one line ("" when not tracked)."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """Today's behaviour: a fresh ``python -m aoizora.compiler.worker`` process per compile."""

    name = "local"
    on_change: Callable[[str], None] | None = None  # never called: nothing to report per node

    def slots(self) -> int:
        from aoizora.compiler.adapter import default_workers

        return default_workers()

    def begin(self) -> None:
        from aoizora.compiler import adapter

        adapter._killing.clear()

    def run(self, job: CompileJob, key: str, timeout_s: float) -> CompileResult:
        from aoizora.compiler import adapter

        return adapter._run_worker(job, key, timeout_s)

    def running(self) -> int:
        from aoizora.compiler import adapter

        with adapter._workers_lock:
            return len(adapter._workers)

    def stop_queued(self) -> int:
        return 0  # a local worker starts only when a slot is free: nothing waits

    def kill(self) -> int:
        from aoizora.compiler import adapter

        return adapter._kill_workers()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def status_line(self) -> str:
        return ""

    def close(self) -> None:
        pass


def make_executor(
    name: str = "local",
    *,
    address: str | None = None,
    workers: int | None = None,
    shared_cache_dir: str | None = None,
    on_change: Callable[[str], None] | None = None,
) -> Executor:
    """The executor called ``name``. ``address``: a Ray cluster (else ``$RAY_ADDRESS``, else a
    local Ray instance with ``workers`` CPUs); ``shared_cache_dir``: a compile cache directory the
    Ray workers may read (they never write it); ``on_change``: told a one-line status (queued,
    running and done per node) whenever a Ray task starts or ends."""
    if name == "local":
        if address:
            raise ValueError(f"--ray-address {address!r} needs --executor ray")
        return LocalExecutor()
    if name == "ray":
        from aoizora.compiler.executor_ray import RayExecutor

        return RayExecutor(
            address=address,
            workers=workers,
            shared_cache_dir=shared_cache_dir,
            on_change=on_change,
        )
    raise ValueError(f"unknown --executor {name!r}; use {' or '.join(EXECUTORS)}")
