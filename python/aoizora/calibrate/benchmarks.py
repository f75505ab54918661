"""The micro-benchmarks behind the model's constants, on the JAX devices present (the C1-C9 kinds
of shared/reference/tpu-hardware.md section 4b). Each returns records with the timed runs
(:func:`aoizora.calibrate.timing.time_steady`) and what one run moves or computes, so that
:mod:`aoizora.calibrate.fit` can fit constants from them.

The same code measures a TPU slice or the XLA CPU backend's host devices: the devices are
whatever ``jax.devices()`` holds; on TPU the attention benchmark runs the splash kernel the plans
run, on CPU the plain-JAX blockwise attention the CPU compiler plans.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aoizora.calibrate.timing import time_steady

KiB, MiB = 1 << 10, 1 << 20


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark sweeps: ``quick`` (about a minute on a CPU host) or full."""

    permute_bytes: tuple[int, ...]
    collective_bytes: tuple[int, ...]
    matmul: tuple[int, ...]
    attention_tokens: tuple[int, ...]
    attention_heads: int
    copy_bytes: tuple[int, ...]
    transcendental_elements: int
    inner: int  # collective repeats inside one compiled loop (dispatch paid once)
    warmup: int
    repeats: int


def sizes_for(platform: str, quick: bool) -> Sizes:
    tpu = platform == "tpu"
    if quick:
        return Sizes(
            permute_bytes=(4 * KiB, 64 * KiB, MiB, 4 * MiB),
            collective_bytes=(64 * KiB, MiB),
            matmul=(1024, 2048, 4096) if tpu else (128, 256, 512),
            attention_tokens=(4096,) if tpu else (512,),
            attention_heads=8 if tpu else 2,
            copy_bytes=(64 * MiB, 256 * MiB) if tpu else (8 * MiB, 32 * MiB),
            transcendental_elements=(1 << 24) if tpu else (1 << 20),
            inner=8,
            warmup=1,
            repeats=3,
        )
    return Sizes(
        permute_bytes=tuple(KiB * 4**i for i in range(9)),  # 1 KiB .. 64 MiB, as C1/C2
        collective_bytes=(16 * KiB, 256 * KiB, 4 * MiB, 32 * MiB),
        matmul=(1024, 2048, 4096, 8192) if tpu else (256, 512, 1024),
        attention_tokens=(4096, 16384) if tpu else (1024, 2048),
        attention_heads=8 if tpu else 4,
        copy_bytes=(16 * MiB, 128 * MiB, 512 * MiB) if tpu else (16 * MiB, 64 * MiB, 256 * MiB),
        transcendental_elements=(1 << 26) if tpu else (1 << 22),
        inner=16,
        warmup=3,
        repeats=10,
    )


@dataclass
class Devices:
    """The devices present, arranged as a mesh: on TPU by chip coordinates (axes x, y, z and the
    core on the chip, size-1 axes dropped), elsewhere as (2, n/2) logical axes."""

    devices: list
    platform: str
    device_kind: str
    mesh_shape: tuple[int, ...]
    axis_names: tuple[str, ...]
    physical: bool  # axes are physical ICI axes (TPU with coordinates)
    grid: Any = field(repr=False, default=None)  # numpy array of devices, mesh_shape

    def mesh(self):
        from jax.sharding import Mesh

        return Mesh(self.grid, self.axis_names)


def present_devices() -> Devices:
    import jax
    import numpy as np

    devices = list(jax.devices())
    first = devices[0]
    coords = [getattr(d, "coords", None) for d in devices]
    if first.platform == "tpu" and all(c is not None for c in coords):
        dims = [max(int(c[i]) for c in coords) + 1 if len(coords[0]) > i else 1 for i in range(3)]
        cores = max(int(getattr(d, "core_on_chip", 0) or 0) for d in devices) + 1
        grid = np.empty((*dims, cores), dtype=object)
        for d in devices:
            c = [int(v) for v in d.coords] + [0] * (3 - len(d.coords))
            grid[c[0], c[1], c[2], int(getattr(d, "core_on_chip", 0) or 0)] = d
        names = ("x", "y", "z", "core")
        keep = [i for i, s in enumerate(grid.shape) if s > 1] or [0]
        grid = grid.reshape([grid.shape[i] for i in keep])
        return Devices(
            devices,
            "tpu",
            str(first.device_kind),
            tuple(grid.shape),
            tuple(names[i] for i in keep),
            True,
            grid,
        )
    devices.sort(key=lambda d: d.id)
    n = len(devices)
    shape = (2, n // 2) if n >= 4 and n % 2 == 0 else (n,)
    names = ("a", "b")[: len(shape)]
    grid = np.array(devices, dtype=object).reshape(shape)
    kind = str(getattr(first, "device_kind", first.platform))
    return Devices(devices, first.platform, kind, shape, names, False, grid)


def _record(bench: str, kind: str, params: dict[str, Any], timing: dict[str, Any], **work):
    return {"benchmark": bench, "kind": kind, "params": params, **work, **timing}


def _float_elems(nbytes: int, itemsize: int = 4) -> int:
    return max(1, nbytes // itemsize)


def _loop(body: Callable, inner: int) -> Callable:
    """``body`` applied ``inner`` times in one compiled loop (each on the previous result)."""
    import jax

    def run(x):
        return jax.lax.fori_loop(0, inner, lambda _, y: body(y), x)

    return run


def _sharded_buffer(dev: Devices, per_device_elems: int):
    import jax
    import jax.numpy as jnp
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    n = len(dev.devices)
    sharding = NamedSharding(dev.mesh(), P(dev.axis_names))
    return jax.device_put(jnp.ones((n * per_device_elems,), jnp.float32), sharding)


def _time_sharded_loop(dev: Devices, body: Callable, elems: int, sizes: Sizes) -> dict[str, Any]:
    """Steady-state timing of ``body`` run ``sizes.inner`` times in one compiled loop inside
    ``shard_map`` over every device (``elems`` float32 per device), per repeat of ``body``."""
    import jax
    from jax.sharding import PartitionSpec as P

    spec = P(dev.axis_names)
    fn = jax.jit(
        jax.shard_map(
            _loop(body, sizes.inner),
            mesh=dev.mesh(),
            in_specs=spec,
            out_specs=spec,
            check_vma=False,
        )
    )
    buffer = _sharded_buffer(dev, elems)
    t = time_steady(fn, (buffer,), warmup=sizes.warmup, repeats=sizes.repeats)
    return _per_inner(t, sizes.inner)


def permute_sweep(dev: Devices, sizes: Sizes, tick) -> list[dict[str, Any]]:
    """C1/C2: ``lax.ppermute`` between neighbours along each mesh axis, both directions of each
    pair at once (every transfer one hop, no link shared), per size. Time per transfer."""
    import jax

    out = []
    for axis, size in zip(dev.axis_names, dev.mesh_shape, strict=True):
        if size < 2:
            continue
        pairs = [(i, i + 1) for i in range(0, size - 1, 2)]
        perm = pairs + [(b, a) for a, b in pairs]
        for nbytes in sizes.permute_bytes:
            elems = _float_elems(nbytes)

            def body(x, axis=axis, perm=perm):
                return jax.lax.ppermute(x, axis, perm)

            t = _time_sharded_loop(dev, body, elems, sizes)
            out.append(
                _record(
                    "C1-C2 ppermute sweep",
                    "ppermute",
                    {"axis": axis, "axis_size": size, "hops": 1, "inner": sizes.inner},
                    t,
                    bytes_per_device=elems * 4,
                )
            )
            tick(f"ppermute {axis} {elems * 4} B: {t['median_seconds'] * 1e6:.1f} us")
    return out


def _per_inner(t: dict[str, Any], inner: int) -> dict[str, Any]:
    """Timings of ``inner`` repeats in one call, as seconds per repeat."""
    out = dict(t)
    out["runs"] = [r / inner for r in t["runs"]]
    for k in ("min_seconds", "median_seconds", "max_seconds"):
        out[k] = t[k] / inner
    return out


def _groups(dev: Devices) -> list[tuple[str, tuple[str, ...]]]:
    """Groups of each shape: every mesh axis alone and all axes together."""
    out = [(a, (a,)) for a, s in zip(dev.axis_names, dev.mesh_shape, strict=True) if s > 1]
    if len(out) > 1:
        out.append(("+".join(a for a, _ in out), tuple(a for a, _ in out)))
    return out


def collective_sweep(dev: Devices, sizes: Sizes, tick) -> list[dict[str, Any]]:
    """all-gather / all-reduce / all-to-all over groups of each shape (every mesh axis, all
    axes), per size. ``bytes_per_device``: each device's operand (the shard for all-gather)."""
    import jax

    out = []
    for label, axes in _groups(dev):
        group = math.prod(
            s for a, s in zip(dev.axis_names, dev.mesh_shape, strict=True) if a in axes
        )
        ops = {
            # gather then keep this device's shard: the loop's carry keeps its shape
            "all-gather": lambda x, axes=axes, g=group: jax.lax.all_gather(x, axes, tiled=True)[
                : x.shape[0]
            ],
            "all-reduce": lambda x, axes=axes: jax.lax.psum(x, axes) * 0.5,
            "all-to-all": lambda x, axes=axes: jax.lax.all_to_all(x, axes, 0, 0, tiled=True),
        }
        for kind, body in ops.items():
            for nbytes in sizes.collective_bytes:
                elems = max(group, _float_elems(nbytes) // group * group)
                t = _time_sharded_loop(dev, body, elems, sizes)
                out.append(
                    _record(
                        "collective sweep",
                        kind,
                        {"group": label, "group_size": group, "inner": sizes.inner},
                        t,
                        bytes_per_device=elems * 4,
                    )
                )
                tick(f"{kind} {label} {elems * 4} B: {t['median_seconds'] * 1e6:.1f} us")
    return out


def _one_device_inputs(shapes, dtype, device, seed: int = 0):
    import jax

    keys = jax.random.split(jax.random.key(seed), len(shapes))
    return tuple(
        jax.device_put(jax.random.normal(k, s, dtype), device)
        for k, s in zip(keys, shapes, strict=True)
    )


def _compute_dtype(dev: Devices):
    import jax.numpy as jnp

    # bf16 is what the constants describe on TPU; the CPU backend runs f32 matmuls natively.
    return jnp.bfloat16 if dev.platform == "tpu" else jnp.float32


def matmul_sweep(dev: Devices, sizes: Sizes, tick) -> list[dict[str, Any]]:
    """C3/C4: square matmuls m=n=k per size, and narrow ones (k = 128, a head dimension), on one
    device."""
    import jax
    import jax.numpy as jnp

    dtype = _compute_dtype(dev)
    device = dev.devices[0]
    out = []
    for n in sizes.matmul:
        for kind, k in (("matmul", n), ("narrow-matmul", 128)):
            a, b = _one_device_inputs(((n, k), (k, n)), dtype, device)
            fn = jax.jit(lambda a, b: jnp.dot(a, b, preferred_element_type=jnp.float32))
            t = time_steady(fn, (a, b), warmup=sizes.warmup, repeats=sizes.repeats)
            flops = 2.0 * n * n * k
            out.append(
                _record(
                    "C3-C4 matmul",
                    kind,
                    {"m": n, "n": n, "k": k, "dtype": jnp.dtype(dtype).name},
                    t,
                    flops=flops,
                )
            )
            tick(f"{kind} {n}x{k}x{n}: {flops / t['median_seconds'] / 1e12:.3f} TFLOP/s")
    return out


def attention_sweep(dev: Devices, sizes: Sizes, tick, generation: str | None) -> list:
    """C5/C6: one self-attention call on one device, head dim 128: the splash kernel on TPU (the
    plans' attention, block sizes per generation), plain-JAX blockwise attention elsewhere."""
    import jax
    import jax.numpy as jnp

    from aoizora.models import attention as att

    dtype = _compute_dtype(dev)
    device = dev.devices[0]
    d, h = 128, sizes.attention_heads
    out = []
    for n in sizes.attention_tokens:
        q, k, v = _one_device_inputs(((1, n, h, d),) * 3, dtype, device)
        if dev.platform == "tpu" and generation:
            impl = "splash"
            fn = jax.jit(
                lambda q, k, v: att.splash_block_attention(q, k, v, None, generation=generation)[0]
            )
        else:
            impl = "jax"
            chunk = min(512, n)
            fn = jax.jit(
                lambda q, k, v, c=chunk: att.local_attention(
                    q, k, v, None, q_chunk=c, kv_chunk=c, unroll=False
                )
            )
        t = time_steady(fn, (q, k, v), warmup=sizes.warmup, repeats=sizes.repeats)
        flops = 4.0 * h * n * n * d  # QK^T and AV
        out.append(
            _record(
                "C5-C6 attention",
                "attention",
                {
                    "tokens": n,
                    "heads": h,
                    "head_dim": d,
                    "impl": impl,
                    "dtype": jnp.dtype(dtype).name,
                },
                t,
                flops=flops,
            )
        )
        tick(f"attention {impl} {n} tokens: {flops / t['median_seconds'] / 1e12:.3f} TFLOP/s")
    return out


def copy_sweep(dev: Devices, sizes: Sizes, tick) -> list[dict[str, Any]]:
    """C9: memory bandwidth on one device: read an array and write a scaled copy (2 x bytes)."""
    import jax
    import jax.numpy as jnp

    device = dev.devices[0]
    out = []
    for nbytes in sizes.copy_bytes:
        (x,) = _one_device_inputs(((_float_elems(nbytes),),), jnp.float32, device)
        fn = jax.jit(lambda x: x * 1.0001)
        t = time_steady(fn, (x,), warmup=sizes.warmup, repeats=sizes.repeats)
        moved = 2.0 * x.size * 4
        out.append(_record("C9 HBM copy", "copy", {"bytes": x.size * 4}, t, bytes_moved=moved))
        tick(f"copy {x.size * 4} B: {moved / t['median_seconds'] / 1e9:.1f} GB/s")
    return out


def transcendental_sweep(dev: Devices, sizes: Sizes, tick) -> list[dict[str, Any]]:
    """Transcendental throughput on one device: 16 chained exp per element in one fusion, so
    that the exponentials, not memory, bound it."""
    import jax
    import jax.numpy as jnp

    chain = 16
    device = dev.devices[0]
    (x,) = _one_device_inputs(((sizes.transcendental_elements,),), jnp.float32, device)

    def fn(x):
        for _ in range(chain):
            x = jnp.exp(-jnp.abs(x))
        return x

    t = time_steady(jax.jit(fn), (x,), warmup=sizes.warmup, repeats=sizes.repeats)
    ops = float(chain * x.size)
    tick(f"exp: {ops / t['median_seconds'] / 1e9:.2f} G/s")
    return [
        _record(
            "transcendental throughput",
            "exp",
            {"elements": x.size, "chain": chain},
            t,
            transcendentals=ops,
        )
    ]
