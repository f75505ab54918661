"""The ``ray`` executor: each compile job is a Ray task (``--executor ray``).

The job goes out as data (its JSON spec and cache key); the task lowers and compiles it with the
subprocess worker's own function (``worker.run_job``) in a fresh Ray worker process
(``max_calls=1``: a crash, a leak or an out-of-memory kill stays with one candidate, as with the
local workers), and returns the result to the planner, which writes the compile cache. The
environment the compiler needs (the forced host device count of the CPU fallback, libtpu's
variables) reaches the task through Ray's ``runtime_env`` env_vars, computed by
:func:`aoizora.compiler.env.variables` as for the local workers.

A task is a streaming generator: its first item says it started and where (node id and IP), its
second is the result. So the planner knows which compiles are queued in Ray, which run and on
which node each finished, and the first Ctrl-C can cancel the queued ones (``ray.cancel``) while
the running ones finish and are cached; the second cancels every task at once (``force=True``).

Every node must have the planner's jax, jaxlib and libtpu: the cache key names the planner's
versions, so a task on a node with other versions refuses to compile (an error for that
candidate, never a cache entry filed under the wrong key).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from aoizora.compiler import env
from aoizora.compiler.job import CompileJob, CompileResult

# Variables of the planner's environment a task also gets when set (TPU compiler flags).
_PASS_THROUGH = ("XLA_FLAGS", "LIBTPU_INIT_ARGS")


def _compile_task(job_json: str, key: str, versions: dict[str, str], cache_dir: str | None):
    """Runs in a Ray worker: says where it runs, then compiles (or finds the result in the
    shared cache directory) and yields the result as a dict."""
    import ray

    yield {
        "node_id": ray.get_runtime_context().get_node_id(),
        "ip": ray.util.get_node_ip_address(),
        "pid": os.getpid(),
    }
    from aoizora.compiler import worker
    from aoizora.compiler.adapter import _failed
    from aoizora.compiler.cache import CompileCache, toolchain_versions

    job = CompileJob.from_json(job_json)
    env.configure(cpu_devices=job.num_devices if job.compiler == "cpu" else None)
    mine = toolchain_versions()
    if job.compiler == "cpu":  # the CPU fallback does not use libtpu (nor does its cache key)
        mine.pop("libtpu")
        versions = {k: v for k, v in versions.items() if k != "libtpu"}
    if mine != versions:
        node = ray.util.get_node_ip_address()
        yield _failed(
            job,
            "error",
            f"Ray node {node} has {_versions(mine)}, the planner {_versions(versions)}: "
            "install the planner's versions on every node",
            key,
        ).to_dict()
        return
    if cache_dir:
        hit = CompileCache(cache_dir).get(key, job)  # read only: the planner writes the cache
        if hit is not None:
            yield hit.to_dict()
            return
    t0 = time.perf_counter()
    result = worker.run_job(job, key)
    result.wall_seconds = time.perf_counter() - t0
    yield result.to_dict()


def _versions(v: dict[str, str]) -> str:
    return ", ".join(f"{k} {v[k]}" for k in sorted(v))


MAX_CALLS_ENV = "AOIZORA_RAY_MAX_CALLS"
DEFAULT_MAX_CALLS = 1


def max_calls_per_worker() -> int:
    """Compiles one Ray worker process runs before it exits: ``$AOIZORA_RAY_MAX_CALLS``, else
    1 (a fresh process per compile, as the local executor; 0: no limit, the process and its
    JAX are reused, which saves the start-up per compile; see docs/compile-farm.md)."""
    value = os.environ.get(MAX_CALLS_ENV, str(DEFAULT_MAX_CALLS))
    if not value.strip().isdigit():
        raise ValueError(f"{MAX_CALLS_ENV} must be a whole number >= 0, got {value!r}")
    return int(value)


def task_env(job: CompileJob) -> dict[str, str]:
    """The environment variables a task compiling ``job`` gets (Ray's runtime_env env_vars)."""
    variables = {k: os.environ[k] for k in _PASS_THROUGH if os.environ.get(k)}
    cpu = job.num_devices if job.compiler == "cpu" else None
    variables.update(env.variables(cpu, os.environ))
    return variables


class FarmStatus:
    """Tasks queued (submitted, not started), running and done, and done per node."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queued = 0
        self.running = 0
        self.done = 0
        self.failed = 0
        self.per_node: dict[str, int] = {}  # node label -> tasks finished there
        self.labels: dict[str, str] = {}  # node id -> its label, fixed once given

    def node_label(self, start: dict[str, Any]) -> str:
        """The node's IP; a second node on the same IP gets its id's prefix too. A label never
        changes, so one node's count stays under one key."""
        node_id, ip = str(start.get("node_id", "?")), str(start.get("ip", "?"))
        if node_id not in self.labels:
            taken = ip in self.labels.values()
            self.labels[node_id] = f"{ip} ({node_id[:8]})" if taken else ip
        return self.labels[node_id]

    def line(self) -> str:
        nodes = ", ".join(f"{n}: {c}" for n, c in sorted(self.per_node.items()))
        text = f"ray: {self.queued} queued, {self.running} running, {self.done} done"
        if self.failed:
            text += f" ({self.failed} failed)"
        return text + (f"; done per node: {nodes}" if nodes else "")


class _Timeout(Exception):
    pass


class RayExecutor:
    """Compile jobs as Ray tasks on the cluster at ``address`` (else ``$RAY_ADDRESS``, else a
    local instance with ``workers`` CPUs, shut down by :meth:`close`)."""

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        workers: int | None = None,
        shared_cache_dir: str | None = None,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError(
                "--executor ray needs the ray package: pip install -r requirements.txt"
            ) from None
        self._ray = ray
        max_calls = max_calls_per_worker()  # bad input fails before Ray starts
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        if self.address and self.address.startswith("ray://"):
            # Ray Client cannot run streaming-generator tasks (how a task reports its start).
            raise ValueError(
                f"--ray-address {self.address!r} is a Ray Client address, which cannot run the "
                "compile tasks; run aoizora on a node of the cluster with --ray-address "
                "HEAD_IP:6379 (or auto)"
            )
        self.shared_cache_dir = shared_cache_dir
        self.on_change = on_change
        self.status = FarmStatus()
        self._owned = False
        self._killing = threading.Event()
        self._queued: dict[Any, CompileJob] = {}  # generator -> job: submitted, not started
        self._running: dict[Any, CompileJob] = {}
        self._init(workers)
        from aoizora.compiler.cache import toolchain_versions

        self._versions = toolchain_versions()
        self._remote = ray.remote(num_returns="streaming", max_retries=0, max_calls=max_calls)(
            _compile_task
        )

    def _init(self, workers: int | None) -> None:
        import logging

        ray = self._ray
        if ray.is_initialized():  # a caller (a test, a notebook) connected already
            return
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.WARNING,
        }
        if self.address is None:
            kwargs["address"] = "local"
            kwargs["num_cpus"] = workers or os.cpu_count() or 1
        else:
            _check_reachable(self.address)
            kwargs["address"] = self.address
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = self.address or "a local instance"
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(f"cannot start Ray at --ray-address {where!r}: {first}") from None
        self._owned = True

    # -- Executor ------------------------------------------------------------------------------

    def slots(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def begin(self) -> None:
        self._killing.clear()

    def running(self) -> int:
        with self.status.lock:
            return len(self._running)

    def stop_queued(self) -> int:
        with self.status.lock:
            queued = list(self._queued)
        for gen in queued:
            self._ray.cancel(gen)  # not started: it never runs
        return len(queued)

    def kill(self) -> int:
        self._killing.set()
        with self.status.lock:
            gens = list(self._queued) + list(self._running)
        for gen in gens:
            self._ray.cancel(gen, force=True)
        return len(gens)

    def describe(self) -> dict[str, Any]:
        with self.status.lock:
            return {"name": self.name, "tasks_per_node": dict(sorted(self.status.per_node.items()))}

    def status_line(self) -> str:
        with self.status.lock:
            return self.status.line()

    def close(self) -> None:
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()
        self._owned = False

    def run(self, job: CompileJob, key: str, timeout_s: float) -> CompileResult:
        from aoizora.compiler.adapter import _failed

        if self._killing.is_set():
            return _failed(job, "interrupted", "not started: interrupted", key)
        t0 = time.perf_counter()
        try:
            gen = self._remote.options(
                name=f"aoizora-compile {job.candidate}"[:200],
                runtime_env={"env_vars": task_env(job)},
            ).remote(job.to_json(), key, self._versions, self.shared_cache_dir)
        except Exception as e:  # noqa: BLE001 - refused at submission: this candidate only
            error = f"could not submit the compile task to Ray: {type(e).__name__}: {_first(e)}"
            return self._failed(job, "error", error, key, t0)
        with self.status.lock:
            self._queued[gen] = job
            self.status.queued += 1
        self._changed()
        node = ""
        try:
            # The timeout is the compile's: a task waiting in Ray's queue for a free CPU has not
            # started (Ctrl-C cancels it, which ends this wait).
            start = self._next(gen, None)
            with self.status.lock:
                node = self.status.node_label(start)
                self._running[gen] = self._queued.pop(gen)
                self.status.queued -= 1
                self.status.running += 1
            self._changed()
            result = CompileResult.from_dict(self._next(gen, time.perf_counter() + timeout_s))
            result.wall_seconds = time.perf_counter() - t0
        except _Timeout:
            self._ray.cancel(gen, force=True)
            error = f"compile exceeded the {timeout_s:g} s timeout and was cancelled"
            result = self._failed(job, "timeout", error + self._on(node), key, t0)
        except Exception as e:  # noqa: BLE001 - how a task ended badly: one failed candidate
            result = self._failed(job, *self._classify(e, node), key, t0)
        finally:
            with self.status.lock:
                if self._queued.pop(gen, None) is not None:
                    self.status.queued -= 1
                if self._running.pop(gen, None) is not None:
                    self.status.running -= 1
        with self.status.lock:
            self.status.done += 1
            self.status.failed += 0 if result.status in ("ok", "oom") else 1
            if node:
                self.status.per_node[node] = self.status.per_node.get(node, 0) + 1
        self._changed()
        return result

    # -- helpers -------------------------------------------------------------------------------

    def _next(self, gen: Any, deadline: float | None) -> Any:
        """The generator's next item; _Timeout past ``deadline`` (None: no deadline)."""
        timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
        ready, _ = self._ray.wait([gen], timeout=timeout)
        if not ready:
            raise _Timeout
        return self._ray.get(next(gen))

    def _changed(self) -> None:
        on_change = self.on_change
        if on_change is not None:
            on_change(self.status_line())

    @staticmethod
    def _on(node: str) -> str:
        return f" (Ray node {node})" if node else ""

    def _classify(self, e: Exception, node: str) -> tuple[str, str]:
        """(status, error) of a task that raised instead of returning a result."""
        exc = self._ray.exceptions
        where = self._on(node)
        if isinstance(e, exc.TaskCancelledError) or self._killing.is_set():
            return "interrupted", f"compile task cancelled: interrupted (Ctrl-C){where}"
        if isinstance(e, exc.OutOfMemoryError):
            return "crashed", f"Ray's memory monitor killed the compile (host memory){where}"
        if isinstance(e, exc.WorkerCrashedError):
            return "crashed", f"compile worker died without a result{where}: {_first(e)}"
        if isinstance(e, exc.RayTaskError):
            return "error", f"compile task failed{where}: {_first(e)}"
        return "crashed", f"compile task lost{where}: {type(e).__name__}: {_first(e)}"

    @staticmethod
    def _failed(job: CompileJob, status: str, error: str, key: str, t0: float) -> CompileResult:
        from aoizora.compiler.adapter import _failed

        result = _failed(job, status, error, key)
        result.wall_seconds = time.perf_counter() - t0
        return result


def _check_reachable(address: str, timeout_s: float = 10.0) -> None:
    """Fail at once, naming the address, when nothing listens there (``ray.init`` would retry
    for minutes in silence). ``auto`` and addresses without a port are left to Ray."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as e:
        raise ValueError(
            f"cannot reach a Ray cluster at --ray-address {address!r}: {e.strerror or e}"
        ) from None


def _first(e: BaseException) -> str:
    lines = [line for line in str(e).splitlines() if line.strip()]
    return lines[-1].strip()[:500] if lines else type(e).__name__
