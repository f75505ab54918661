"""Build a job's computation from its factory and lower it. Runs in the planner process (against
an ``AbstractMesh``: no devices needed) and in compile workers (against the slice's devices).

Callers must have run :func:`aoizora.compiler.env.configure` before JAX was first imported.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from aoizora.compiler.job import CompileJob, LowerResult

_PLATFORM = {"tpu": "tpu", "cpu": "cpu"}


def resolve_factory(path: str):
    """Import ``module:function``; a clear error names what is missing."""
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"cannot import workload factory module {module_name!r}: {e}") from e
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no factory {attr!r}") from None


def job_devices(job: CompileJob) -> list:
    """The devices at mesh positions 0..N-1 (C order) for the job's compiler."""
    if job.compiler == "tpu":
        from aoizora.compiler.tpu_topology import tpu_devices

        devices = tpu_devices(job.topology)
    else:
        import jax

        devices = jax.devices("cpu")
    n = job.num_devices
    if len(devices) < n:
        raise ValueError(
            f"{job.compiler} backend offers {len(devices)} devices for {job.topology}, "
            f"mesh {job.mesh_shape} needs {n}"
        )
    if job.compiler == "tpu" and len(devices) != n:
        raise ValueError(
            f"mesh {job.mesh_shape} has {n} devices but slice {job.topology} has {len(devices)}"
        )
    if job.device_ids is None:
        return sorted(devices, key=lambda d: d.id)[:n]
    by_id = {d.id: d for d in devices}
    if sorted(job.device_ids) != sorted(by_id)[:n] or len(set(job.device_ids)) != n:
        raise ValueError(f"device_ids {list(job.device_ids)} are not a permutation of the slice's")
    return [by_id[i] for i in job.device_ids]


def concrete_mesh(job: CompileJob):
    import numpy as np
    from jax.sharding import Mesh

    devices = job_devices(job)
    return Mesh(np.array(devices, dtype=object).reshape(job.mesh_shape), job.axis_names)


def abstract_mesh(job: CompileJob):
    from jax.sharding import AbstractMesh

    return AbstractMesh(tuple(job.mesh_shape), tuple(job.axis_names))


def lower_job(job: CompileJob, mesh: Any = None) -> tuple[Any, LowerResult]:
    """Trace and lower the job's computation; ``mesh`` None means an AbstractMesh.

    Returns the ``jax.stages.Lowered`` and the pre-compile HLO text with timings.
    """
    factory = resolve_factory(job.workload.factory)
    abstract = mesh is None
    if abstract:
        mesh = abstract_mesh(job)
    t0 = time.perf_counter()
    fn, args = factory(job.candidate, mesh, **job.workload.kwargs_dict())
    traced = fn.trace(*args)
    t1 = time.perf_counter()
    if abstract:
        lowered = traced.lower(lowering_platforms=(_PLATFORM[job.compiler],))
    else:
        lowered = traced.lower()
    text = lowered.as_text(dialect="hlo")
    t2 = time.perf_counter()
    from aoizora.compiler.cache import lowered_text_digest

    return lowered, LowerResult(
        candidate=job.candidate,
        mesh_shape=tuple(job.mesh_shape),
        axis_names=tuple(job.axis_names),
        platform=_PLATFORM[job.compiler],
        hlo_text=text,
        sha256=lowered_text_digest(text),
        trace_seconds=t1 - t0,
        lower_seconds=t2 - t0,
    )
