"""A small sharded function compiled for a slice: the proof that the compiler path works."""

from __future__ import annotations

import re
import time

from aoizora.compiler import env

_COLLECTIVE_RE = re.compile(
    r"\b(all-gather|all-reduce|reduce-scatter|all-to-all|collective-permute)(-start)?\("
)


def _smoke_fn(x, w):
    import jax.numpy as jnp

    # x sharded (data, model), w sharded on its contracting dim: the dot leaves partial sums
    # (a reduction across 'model'), and the sum over rows reduces across 'data'.
    return jnp.tanh(x @ w).sum(axis=0)


def compile_smoke(topology: str, compiler: str = "tpu") -> dict:
    """Compile ``_smoke_fn`` over a (2, N/2) mesh of the slice; return what XLA reports."""
    from aoizora.compiler.tpu_topology import parse_slice_spec, tpu_devices

    spec = parse_slice_spec(topology)
    n = spec.num_chips
    if compiler == "cpu":
        env.configure(cpu_devices=n)
    else:
        env.configure()
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    if compiler == "tpu":
        devices = tpu_devices(topology)
        compiler_name = f"tpu-aot (libtpu, jax {jax.__version__})"
    else:
        devices = jax.devices("cpu")
        if len(devices) < n:
            raise RuntimeError(
                f"the CPU backend has {len(devices)} devices, {n} needed; JAX was initialised "
                "before the device count could be set"
            )
        devices = devices[:n]
        compiler_name = f"xla-cpu (forced host device count, jax {jax.__version__})"
    mesh_shape = (2, n // 2) if n % 2 == 0 and n > 1 else (1, n)
    mesh = Mesh(np.array(devices).reshape(mesh_shape), ("data", "model"))
    x = jax.ShapeDtypeStruct(
        (1024, 512), jnp.bfloat16, sharding=NamedSharding(mesh, P("data", "model"))
    )
    w = jax.ShapeDtypeStruct(
        (512, 256), jnp.bfloat16, sharding=NamedSharding(mesh, P("model", None))
    )
    t0 = time.perf_counter()
    compiled = jax.jit(_smoke_fn).lower(x, w).compile()
    compile_seconds = time.perf_counter() - t0
    text = compiled.as_text()
    mem = compiled.memory_analysis()
    cost = compiled.cost_analysis()
    if isinstance(cost, list):  # older JAX returned one dict per module
        cost = cost[0] if cost else {}
    collectives: dict[str, int] = {}
    for m in _COLLECTIVE_RE.finditer(text):
        collectives[m.group(1)] = collectives.get(m.group(1), 0) + 1
    return {
        "topology": str(spec),
        "compiler": compiler_name,
        "devices": [
            {
                "id": int(d.id),
                "coords": list(getattr(d, "coords", []) or []),
                "process_index": int(getattr(d, "process_index", 0)),
            }
            for d in devices
        ],
        "mesh": list(mesh_shape),
        "collectives": collectives,
        "memory": {
            "argument_bytes": int(mem.argument_size_in_bytes),
            "output_bytes": int(mem.output_size_in_bytes),
            "temp_bytes": int(mem.temp_size_in_bytes),
        },
        "flops": float(cost.get("flops", 0.0)),
        "compile_seconds": compile_seconds,
        "hlo_chars": len(text),
    }
