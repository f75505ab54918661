"""Regenerate the HLO fixtures in tests/data/hlo/generated/ from this project's own compiles.

Each program below is a small sharded JAX function on a (2, 4) mesh ("data", "model") of eight
devices. For every program and backend ("tpu": libtpu ahead-of-time compile for a v5e 2x4 slice;
"cpu": the XLA CPU backend with eight forced host devices) it writes

  <name>.<backend>.pre.hlo        lowered, not yet partitioned module (as_text(dialect="hlo"))
  <name>.<backend>.compiled.hlo   compiled, SPMD-partitioned module (compiled.as_text())
  <name>.<backend>.json           XLA's cost_analysis() and memory_analysis(), mesh and versions

Run from the repository root with the project's venv:

  .venv/bin/python tests/data/gen_hlo_fixtures.py            # all fixtures
  .venv/bin/python tests/data/gen_hlo_fixtures.py --device-order-check
  .venv/bin/python tests/data/gen_hlo_fixtures.py --deep-mlp build/x.hlo --layers 400
  .venv/bin/python tests/data/gen_hlo_fixtures.py --generations   # per-generation kernels

--generations writes gen_<generation>.tpu.compiled.hlo (+ .json) for every TPU generation: one
device of the smallest slice runs a bf16 8192^3 matmul and a softmax over an f32[4096,4096]
block, so the compiler's own cycle estimates (estimated_cycles) can be checked per generation
against the derived TensorCore clocks (tests/test_compute_sources.py).

The deep unrolled MLP (for bench/hlo_analyze_bench.cc) is written to the given path only; it is
too large to commit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

from aoizora.compiler import env

env.configure(cpu_devices=8)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent / "hlo" / "generated"
TOPOLOGY = "v5e:2x4"
MESH_SHAPE = (2, 4)
MESH_AXES = ("data", "model")


@dataclasses.dataclass(frozen=True)
class Program:
    name: str
    description: str
    # Builds the jitted function for a mesh (shard_map needs the mesh).
    make: Callable[[Mesh], Callable]
    args: list[tuple[tuple[int, ...], str, P]]  # (global shape, dtype, partition spec)
    out: P | None = None  # out_shardings; None lets XLA choose
    backends: tuple[str, ...] = ("tpu", "cpu")  # a Pallas TPU kernel has no CPU lowering


def _jit(fn: Callable, mesh: Mesh, out: P | None) -> Callable:
    if out is None:
        return jax.jit(fn)
    return jax.jit(fn, out_shardings=NamedSharding(mesh, out))


def _smap(mesh: Mesh, fn: Callable, in_specs, out_specs) -> Callable:
    return jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=out_specs)


def _all_gather(mesh: Mesh) -> Callable:
    # Rows sharded over 'model'; a replicated result needs an all-gather over 'model'.
    return lambda x: jnp.sin(x) * 2.0


def _dot_all_reduce(mesh: Mesh) -> Callable:
    # Contracting dim sharded over 'model': partial sums, all-reduce over 'model' groups.
    return lambda x, w: x @ w


def _reduce_scatter(mesh: Mesh) -> Callable:
    def body(x):
        return jax.lax.psum_scatter(x, "model", scatter_dimension=0, tiled=True)

    return _smap(mesh, body, P("data", None), P(("data", "model"), None))


def _all_to_all(mesh: Mesh) -> Callable:
    def body(x):
        return jax.lax.all_to_all(x, "model", split_axis=1, concat_axis=0, tiled=True)

    return _smap(mesh, body, P("model", None), P(None, "model"))


def _permute(mesh: Mesh) -> Callable:
    n = MESH_SHAPE[1]
    ring = [(i, (i + 1) % n) for i in range(n)]

    def body(x):
        return jax.lax.ppermute(x, "model", perm=ring) + 1.0

    return _smap(mesh, body, P("data", "model"), P("data", "model"))


def _scan_layers(mesh: Mesh) -> Callable:
    # Four layers in a lax.scan; weights sharded on the contracting dim, so every iteration
    # leaves partial sums that an all-reduce over 'model' completes (collectives inside the loop).
    def fn(x, ws):
        def layer(h, w):
            return jnp.tanh(h @ w), None

        h, _ = jax.lax.scan(layer, x, ws)
        return h

    return fn


def _scan_shard_map(mesh: Mesh) -> Callable:
    # Explicit collectives inside a scan inside shard_map: all-gather + permute per step.
    n = MESH_SHAPE[1]
    ring = [(i, (i + 1) % n) for i in range(n)]

    def body(x, ws):
        def step(h, w):
            wf = jax.lax.all_gather(w, "model", axis=0, tiled=True)
            h = jnp.tanh(h @ wf)
            return jax.lax.ppermute(h, "model", perm=ring), None

        # The carry becomes device-varying over 'model' after the permute; start it so.
        h0 = jax.lax.pcast(x, ("model",), to="varying")
        h, _ = jax.lax.scan(step, h0, ws)
        return h

    return _smap(mesh, body, (P("data", None), P(None, "model", None)), P("data", "model"))


def _mlp_train(mesh: Mesh) -> Callable:
    # One SGD step of a 2-layer MLP, data x model parallel: a realistic mix of collectives.
    def loss(params, x):
        w1, w2 = params
        return jnp.mean(jnp.square(jax.nn.relu(x @ w1) @ w2))

    def step(w1, w2, x):
        g1, g2 = jax.grad(loss)((w1, w2), x)
        return w1 - 0.1 * g1, w2 - 0.1 * g2

    return step


def _conv(mesh: Mesh) -> Callable:
    # A 3x3 convolution, batch sharded over 'data', output features over 'model'.
    def fn(x, k):
        return jax.lax.conv_general_dilated(
            x, k, window_strides=(1, 1), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )

    return fn


def _pallas_attention(mesh: Mesh) -> Callable:
    # Pallas TPU flash attention on each device's block: batch over data, heads over model. The
    # kernel is a tpu_custom_call whose backend_config carries its own cost estimate.
    from jax.experimental.pallas.ops.tpu import flash_attention as fa

    spec = P("data", "model", None, None)

    def local(q, k, v):
        return fa.flash_attention(q, k, v, sm_scale=0.125)

    # check_vma=False: the Pallas kernel's outputs carry no varying-axes annotation.
    return jax.shard_map(
        local, mesh=mesh, in_specs=(spec, spec, spec), out_specs=spec, check_vma=False
    )


def _splash_attention(mesh: Mesh) -> Callable:
    # The splash kernel (what production TPU diffusion code runs) through the project's own
    # wrapper, on each device's block: batch over data, heads over model. Splash declares no cost
    # estimate: the analyzer infers its FLOPs from q/k/v (program/kernel_cost.h).
    from aoizora.models.attention import splash_block_attention

    spec = P("data", None, "model", None)

    def local(q, k, v):
        return splash_block_attention(q, k, v, None, generation="v5e")[0]

    return jax.shard_map(
        local, mesh=mesh, in_specs=(spec, spec, spec), out_specs=spec, check_vma=False
    )


PROGRAMS = [
    Program(
        "all_gather",
        "sin(x)*2 with x rows sharded over model, replicated output: all-gather over model",
        _all_gather,
        [((256, 128), "float32", P("model", None))],
        P(None, None),
    ),
    Program(
        "dot_all_reduce",
        "x[64,256] @ w[256,128], contracting dim sharded over model: all-reduce over model",
        _dot_all_reduce,
        [((64, 256), "float32", P("data", "model")), ((256, 128), "float32", P("model", None))],
        P("data", None),
    ),
    Program(
        "reduce_scatter",
        "shard_map psum_scatter over model of a [128,64] per-data-shard block",
        _reduce_scatter,
        [((256, 64), "float32", P("data", None))],
    ),
    Program(
        "all_to_all",
        "shard_map all_to_all over model, split dim 1, concat dim 0",
        _all_to_all,
        [((128, 256), "float32", P("model", None))],
    ),
    Program(
        "permute",
        "shard_map ppermute ring i -> i+1 over model",
        _permute,
        [((64, 256), "float32", P("data", "model"))],
    ),
    Program(
        "scan_layers",
        "lax.scan over 4 layers of tanh(h @ w), w contracting dim sharded over model",
        _scan_layers,
        [
            ((64, 128), "float32", P("data", None)),
            ((4, 128, 128), "float32", P(None, "model", None)),
        ],
        P("data", None),
    ),
    Program(
        "scan_shard_map",
        "shard_map scan over 3 steps: all_gather of w over model, dot, ppermute ring",
        _scan_shard_map,
        [
            ((64, 128), "float32", P("data", None)),
            ((3, 128, 128), "float32", P(None, "model", None)),
        ],
    ),
    Program(
        "mlp_train",
        "SGD step of a 2-layer MLP (bf16), batch over data, hidden over model",
        _mlp_train,
        [
            ((128, 256), "bfloat16", P(None, "model")),
            ((256, 128), "bfloat16", P("model", None)),
            ((64, 128), "bfloat16", P("data", None)),
        ],
    ),
    Program(
        "conv",
        "3x3 SAME convolution NHWC, batch over data, output features over model",
        _conv,
        [
            ((8, 16, 16, 32), "float32", P("data")),
            ((3, 3, 32, 64), "float32", P(None, None, None, "model")),
        ],
        P("data", None, None, "model"),
    ),
    Program(
        "pallas_attention",
        "Pallas TPU flash attention in shard_map, batch over data, heads over model (TPU only)",
        _pallas_attention,
        [((2, 8, 512, 128), "bfloat16", P("data", "model", None, None))] * 3,
        backends=("tpu",),
    ),
    Program(
        "splash_attention",
        "splash attention (aoizora wrapper, v5e blocks) in shard_map, batch over data, heads over "
        "model, 1000 tokens padded to 1024 (TPU only)",
        _splash_attention,
        [((4, 1000, 8, 128), "bfloat16", P("data", None, "model", None))] * 3,
        backends=("tpu",),
    ),
]


def _devices(backend: str) -> list:
    if backend == "tpu":
        from aoizora.compiler.tpu_topology import tpu_devices

        return tpu_devices(TOPOLOGY)
    devices = jax.devices("cpu")
    if len(devices) < 8:
        raise RuntimeError(f"need 8 CPU devices, JAX has {len(devices)}")
    return devices[:8]


def _lower(program: Program, devices: list):
    mesh = Mesh(np.array(devices).reshape(MESH_SHAPE), MESH_AXES)
    args = [
        jax.ShapeDtypeStruct(shape, jnp.dtype(dtype), sharding=NamedSharding(mesh, spec))
        for shape, dtype, spec in program.args
    ]
    return _jit(program.make(mesh), mesh, program.out).lower(*args)


def _cost_dict(compiled) -> dict:
    cost = compiled.cost_analysis()
    if isinstance(cost, list):  # older JAX returned one dict per module
        cost = cost[0] if cost else {}
    return {k: float(v) for k, v in sorted((cost or {}).items())}


def _memory_dict(compiled) -> dict:
    mem = compiled.memory_analysis()
    fields = (
        "argument_size_in_bytes",
        "output_size_in_bytes",
        "alias_size_in_bytes",
        "temp_size_in_bytes",
        "generated_code_size_in_bytes",
    )
    return {f: int(getattr(mem, f)) for f in fields if hasattr(mem, f)}


def generate(out_dir: Path, names: set[str] | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for backend in ("tpu", "cpu"):
        devices = _devices(backend)
        for program in PROGRAMS:
            if (names and program.name not in names) or backend not in program.backends:
                continue
            lowered = _lower(program, devices)
            compiled = lowered.compile()
            stem = out_dir / f"{program.name}.{backend}"
            Path(f"{stem}.pre.hlo").write_text(lowered.as_text(dialect="hlo"))
            Path(f"{stem}.compiled.hlo").write_text(compiled.as_text())
            sidecar = {
                "program": program.name,
                "description": program.description,
                "backend": backend,
                "topology": TOPOLOGY if backend == "tpu" else "cpu:8",
                "jax_version": jax.__version__,
                "mesh_shape": list(MESH_SHAPE),
                "mesh_axes": list(MESH_AXES),
                "device_ids": [int(d.id) for d in devices],
                "args": [
                    {"shape": list(s), "dtype": d, "spec": [str(a) for a in spec]}
                    for s, d, spec in program.args
                ],
                "cost_analysis": _cost_dict(compiled),
                "memory_analysis": _memory_dict(compiled),
            }
            Path(f"{stem}.json").write_text(json.dumps(sidecar, indent=1) + "\n")
            print(f"wrote {stem}.*", file=sys.stderr)


# The smallest slice of each generation; the kernels run on its first device only.
GENERATION_SLICES = {
    "v4": "v4:2x2x1",
    "v5e": "v5e:2x2",
    "v5p": "v5p:2x2x1",
    "v6e": "v6e:2x2",
    "tpu7x": "tpu7x:2x2x1",
}
GEN_MATMUL = 8192
GEN_SOFTMAX = 4096


def _generation_kernels(a, b, s):
    y = jnp.dot(a, b, preferred_element_type=jnp.bfloat16)
    return y, jax.nn.softmax(s, axis=-1)


def generate_generations(out_dir: Path) -> None:
    from aoizora.compiler.tpu_topology import tpu_devices

    out_dir.mkdir(parents=True, exist_ok=True)
    for gen, spec in GENERATION_SLICES.items():
        device = tpu_devices(spec)[0]
        mesh = Mesh(np.array([device]), ("one",))
        one = NamedSharding(mesh, P())
        mm = (GEN_MATMUL, GEN_MATMUL)
        args = [
            jax.ShapeDtypeStruct(mm, jnp.bfloat16, sharding=one),
            jax.ShapeDtypeStruct(mm, jnp.bfloat16, sharding=one),
            jax.ShapeDtypeStruct((GEN_SOFTMAX, GEN_SOFTMAX), jnp.float32, sharding=one),
        ]
        compiled = jax.jit(_generation_kernels).lower(*args).compile()
        stem = out_dir / f"gen_{gen}.tpu"
        Path(f"{stem}.compiled.hlo").write_text(compiled.as_text())
        sidecar = {
            "program": f"gen_{gen}",
            "description": f"one device of {spec}: bf16[{GEN_MATMUL}]^3 matmul and softmax over "
            f"f32[{GEN_SOFTMAX},{GEN_SOFTMAX}]",
            "backend": "tpu",
            "topology": spec,
            "device_kind": device.device_kind,
            "jax_version": jax.__version__,
            "matmul_flops": 2.0 * GEN_MATMUL**3,
            "cost_analysis": _cost_dict(compiled),
        }
        Path(f"{stem}.json").write_text(json.dumps(sidecar, indent=1) + "\n")
        print(f"wrote {stem}.*", file=sys.stderr)


def _strip_backend_config(line: str) -> str:
    i = line.find(", backend_config=")
    return line if i < 0 else line[:i]


def device_order_check() -> dict:
    """Compile each program for the TPU slice over libtpu's device order and over a permuted
    order, and report how the compiled HLO texts differ: identical, identical except in
    backend_config (libtpu's own collective configuration), or different in HLO proper."""
    devices = _devices("tpu")
    orders = {"listed": devices, "permuted": [devices[i] for i in (5, 2, 7, 0, 3, 6, 1, 4)]}
    report = {}
    for program in PROGRAMS:
        # Compile both from the same source line, so stack-frame metadata matches.
        texts = [_lower(program, order).compile().as_text() for order in orders.values()]
        a, b = (t.splitlines() for t in texts)
        diff = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
        hlo_diff = [(x, y) for x, y in diff if _strip_backend_config(x) != _strip_backend_config(y)]
        report[program.name] = {
            "identical": texts[0] == texts[1],
            "same_line_count": len(a) == len(b),
            "lines_differing": len(diff),
            "lines_differing_outside_backend_config": len(hlo_diff),
            "example": diff[0][0][:120] if diff else "",
        }
    return report


def deep_mlp(path: Path, layers: int) -> None:
    """A deep unrolled, model-parallel MLP (Python loop, no scan) compiled for the TPU slice:
    a large compiled module for the parse+analyze benchmark."""
    devices = _devices("tpu")
    mesh = Mesh(np.array(devices).reshape(MESH_SHAPE), MESH_AXES)

    def fn(x, *ws):
        for i, w in enumerate(ws):
            x = jnp.tanh(x @ w) if i % 2 == 0 else jax.nn.gelu(x @ w)
        return x

    x = jax.ShapeDtypeStruct(
        (256, 512), jnp.bfloat16, sharding=NamedSharding(mesh, P("data", None))
    )
    specs = [P(None, "model"), P("model", None)]
    ws = [
        jax.ShapeDtypeStruct((512, 512), jnp.bfloat16, sharding=NamedSharding(mesh, specs[i % 2]))
        for i in range(layers)
    ]
    text = jax.jit(fn).lower(x, *ws).compile().as_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path} ({len(text)} chars, {layers} layers)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--only", nargs="*", help="program names to regenerate")
    ap.add_argument("--device-order-check", action="store_true")
    ap.add_argument("--deep-mlp", type=Path, help="write a deep unrolled MLP module here")
    ap.add_argument("--layers", type=int, default=400)
    ap.add_argument("--generations", action="store_true", help="per-generation kernel fixtures")
    args = ap.parse_args(argv)
    if args.generations:
        generate_generations(args.out)
        return 0
    if args.device_order_check:
        print(json.dumps(device_order_check(), indent=1))
        return 0
    if args.deep_mlp:
        deep_mlp(args.deep_mlp, args.layers)
        return 0
    generate(args.out, set(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
