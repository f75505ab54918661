"""A small sharded workload for exercising the compiler adapter without the Wan model.

``mlp_step`` is a two-layer MLP, Megatron style: activations sharded over ``data`` on the batch,
the hidden dimension over ``model``. The second matmul contracts the sharded dimension, so the
compiled module must all-reduce over ``model``; with ``fsdp`` the weights are also sharded over
``data`` and gathered before use. Candidates are ``ExampleCandidate``s (text form
``data=2,model=4[,fsdp]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

AXES = ("data", "model")
FACTORY = "aoizora.compiler.examples:mlp_step"

_TEXT_RE = re.compile(r"^data=(\d+),model=(\d+)(,fsdp)?$")


@dataclass(frozen=True)
class ExampleCandidate:
    degrees: tuple[tuple[str, int], ...]
    fsdp: bool = False

    @staticmethod
    def of(data: int, model: int, fsdp: bool = False) -> ExampleCandidate:
        return ExampleCandidate((("data", data), ("model", model)), fsdp)

    def mesh_shape(self) -> tuple[int, ...]:
        return tuple(d for _, d in self.degrees)

    def axis_names(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.degrees)

    def label(self) -> str:
        return ",".join(f"{a}={d}" for a, d in self.degrees) + (",fsdp" if self.fsdp else "")

    @staticmethod
    def parse(text: str) -> ExampleCandidate:
        m = _TEXT_RE.match(text.strip())
        if not m:
            raise ValueError(f"bad example candidate {text!r}: expected data=N,model=M[,fsdp]")
        return ExampleCandidate.of(int(m.group(1)), int(m.group(2)), bool(m.group(3)))


def _mlp(x, w1, w2):
    import jax
    import jax.numpy as jnp

    h = jax.nn.gelu(jnp.dot(x, w1, preferred_element_type=jnp.float32).astype(x.dtype))
    return jnp.dot(h, w2, preferred_element_type=jnp.float32).astype(x.dtype)


def mlp_step(
    candidate: str,
    mesh,
    *,
    batch: int = 256,
    d_model: int = 512,
    d_ff: int = 2048,
    scale: int = 1,
):
    """Factory: ``(jitted_fn, abstract_args)`` for the MLP on ``mesh``.

    ``scale`` multiplies the batch (a knob to make the arguments large, e.g. to exceed HBM).
    """
    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    c = ExampleCandidate.parse(candidate)
    if c.axis_names() != tuple(mesh.axis_names):
        raise ValueError(f"candidate axes {c.axis_names()} differ from mesh {mesh.axis_names}")
    wdata = "data" if c.fsdp else None
    x = jax.ShapeDtypeStruct(
        (batch * scale, d_model), jnp.bfloat16, sharding=NamedSharding(mesh, P("data", None))
    )
    w1 = jax.ShapeDtypeStruct(
        (d_model, d_ff), jnp.bfloat16, sharding=NamedSharding(mesh, P(wdata, "model"))
    )
    w2 = jax.ShapeDtypeStruct(
        (d_ff, d_model), jnp.bfloat16, sharding=NamedSharding(mesh, P("model", wdata))
    )
    out = NamedSharding(mesh, P("data", None))
    return jax.jit(_mlp, out_shardings=out), (x, w1, w2)


# Fault injection: factories that misbehave the way XLA sometimes does, so the adapter's
# isolation (crash -> one failed candidate, hang -> timeout) can be tested.


def crash_step(candidate: str, mesh, *, exit_code: int = 0, signal_number: int = 9):
    """Kills its own process while building the computation (as a segfault or OOM kill would)."""
    import os
    import signal

    if exit_code:
        os._exit(exit_code)
    os.kill(os.getpid(), signal.Signals(signal_number))
    raise AssertionError("unreachable")


def slow_step(candidate: str, mesh, *, seconds: float = 60.0, worker_only: bool = False, **kwargs):
    """Sleeps, then builds ``mlp_step`` (a compile that outlives a short timeout).
    ``worker_only``: sleep only in a compile worker (the caller's lowering for the cache key
    stays fast), after writing the worker's pid to ``$AOIZORA_TEST_PID_DIR`` if set."""
    import os
    import time

    in_worker = "AOIZORA_PLANNER_PID" in os.environ
    if in_worker and os.environ.get("AOIZORA_TEST_PID_DIR"):
        (Path(os.environ["AOIZORA_TEST_PID_DIR"]) / str(os.getpid())).write_text(candidate)
    if in_worker or not worker_only:
        time.sleep(seconds)
    return mlp_step(candidate, mesh, **kwargs)
