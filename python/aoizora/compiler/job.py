"""Plain-data descriptions of a compile: what to build, for which slice, and what came out.

A :class:`CompileJob` is JSON-serialisable (and therefore picklable) so that a fresh worker
process can rebuild the computation from it: it names the *lowerable factory* by import path
(``"package.module:function"``) plus keyword arguments, never a live function object.

A factory has the signature ``factory(candidate: str, mesh, **kwargs) -> (jitted_fn, args)``:
it parses the candidate text itself, builds its shardings on ``mesh`` (a concrete
``jax.sharding.Mesh`` or an ``AbstractMesh``) and returns a ``jax.jit``-wrapped function and the
abstract arguments (``jax.ShapeDtypeStruct`` with shardings) to lower it with.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

COMPILERS = ("tpu", "cpu")


@dataclass(frozen=True)
class Workload:
    """Which computation to build: a factory import path and its JSON-able keyword arguments."""

    factory: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    @staticmethod
    def of(factory: str, **kwargs: Any) -> Workload:
        if ":" not in factory:
            raise ValueError(f"factory must be 'module:function', got {factory!r}")
        return Workload(factory, tuple(sorted(kwargs.items())))

    def kwargs_dict(self) -> dict[str, Any]:
        return dict(self.kwargs)


@dataclass(frozen=True)
class CompileJob:
    """Everything a worker needs to lower and compile one candidate for one slice."""

    workload: Workload
    candidate: str  # the candidate's text form (its label), parsed by the factory
    mesh_shape: tuple[int, ...]
    axis_names: tuple[str, ...]
    topology: str  # slice spec, e.g. "v5e:2x4"
    compiler: str = "tpu"  # "tpu": TPU AOT through libtpu; "cpu": XLA CPU fallback
    options: tuple[tuple[str, str], ...] = ()  # XLA compiler options
    device_ids: tuple[int, ...] | None = None  # device at each mesh position; None: id order

    def __post_init__(self) -> None:
        if self.compiler not in COMPILERS:
            raise ValueError(f"unknown compiler {self.compiler!r}; allowed: {', '.join(COMPILERS)}")
        if len(self.mesh_shape) != len(self.axis_names):
            raise ValueError(
                f"mesh shape {self.mesh_shape} and axis names {self.axis_names} differ in length"
            )

    @property
    def num_devices(self) -> int:
        n = 1
        for d in self.mesh_shape:
            n *= d
        return n

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> CompileJob:
        d = json.loads(text)
        w = d.pop("workload")
        return CompileJob(
            workload=Workload(w["factory"], tuple((k, v) for k, v in w["kwargs"])),
            candidate=d["candidate"],
            mesh_shape=tuple(d["mesh_shape"]),
            axis_names=tuple(d["axis_names"]),
            topology=d["topology"],
            compiler=d["compiler"],
            options=tuple((k, v) for k, v in d["options"]),
            device_ids=None if d["device_ids"] is None else tuple(d["device_ids"]),
        )


@dataclass
class LowerResult:
    """The pre-compile (not yet partitioned) HLO of a candidate, shardings attached."""

    candidate: str
    mesh_shape: tuple[int, ...]
    axis_names: tuple[str, ...]
    platform: str
    hlo_text: str
    sha256: str
    trace_seconds: float
    lower_seconds: float


@dataclass
class MemoryReport:
    """``Compiled.memory_analysis()`` per chip, and how it compares with the chip's HBM."""

    argument_bytes: int
    output_bytes: int
    alias_bytes: int
    temp_bytes: int
    generated_code_bytes: int
    xla_peak_bytes: int  # memory_analysis().peak_memory_in_bytes as XLA reports it
    peak_bytes: int  # max(xla peak, argument + output - alias + temp + code); docs/compilers.md
    hbm_bytes: int
    fits: bool


@dataclass
class CompileResult:
    """What one compile produced, or why not. ``status``: ok, oom, error, timeout, crashed."""

    status: str
    candidate: str
    topology: str
    compiler: str  # identity string: which compiler, which versions
    key: str  # cache key
    mesh_shape: tuple[int, ...] = ()
    axis_names: tuple[str, ...] = ()
    device_ids: tuple[int, ...] = ()
    hlo_text: str = ""
    memory: MemoryReport | None = None
    cost: dict[str, float] = field(default_factory=dict)
    lower_seconds: float = 0.0
    compile_seconds: float = 0.0
    wall_seconds: float = 0.0  # worker process wall time, start-up included
    lowered_sha256: str = ""
    error: str = ""
    oom_used_bytes: int = 0  # from the compiler's out-of-memory message, when it gives them
    oom_limit_bytes: int = 0
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def fits(self) -> bool | None:
        """True/False when known; an out-of-memory compile does not fit; None when unknown."""
        if self.status == "oom":
            return False
        return None if self.memory is None else self.memory.fits

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> CompileResult:
        d = dict(d)
        mem = d.pop("memory", None)
        for k in ("mesh_shape", "axis_names", "device_ids"):
            d[k] = tuple(d.get(k, ()))
        return CompileResult(memory=None if mem is None else MemoryReport(**mem), **d)
