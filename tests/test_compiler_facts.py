"""Facts about the compile-only TPU devices and the compilers that docs/compilers.md records,
pinned for jax 0.10.2 + libtpu 0.0.42.1 so that an upgrade that changes them fails loudly."""

import difflib
import re

import numpy as np
import pytest

from aoizora.compiler import env
from aoizora.compiler.tpu_topology import tpu_devices

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")


def _table(spec, bounds=None):
    return [
        (d.id, tuple(d.coords), d.core_on_chip, d.process_index) for d in tpu_devices(spec, bounds)
    ]


@pytest.mark.parametrize("spec", ["v5e:4x4", "v6e:4x4"])
def test_4x4_ids_are_x_fastest_and_listing_is_process_tiled(spec):
    rows = _table(spec)
    # id = x + 4y for every device, whatever order libtpu lists them in.
    assert sorted((i, c) for i, c, _, _ in rows) == [
        (x + 4 * y, (x, y, 0)) for y in range(4) for x in range(4)
    ]
    # 2x2x1 hosts: process p holds the 2x2 block (p % 2, p // 2), listed block by block.
    for i, (_, (x, y, _), core, proc) in enumerate(rows):
        assert core == 0
        assert proc == (x // 2) + 2 * (y // 2)
        assert proc == i // 4
    assert [r[0] for r in rows[:8]] == [0, 1, 4, 5, 2, 3, 6, 7]


def test_chips_per_host_bounds_change_process_index_and_listing_not_ids_or_coords():
    base = {(i, c) for i, c, _, _ in _table("v5e:4x4")}
    for bounds, procs in [((2, 4, 1), 2), ((4, 4, 1), 1)]:
        rows = _table("v5e:4x4", bounds)
        assert {(i, c) for i, c, _, _ in rows} == base
        assert len({p for *_, p in rows}) == procs
    one_host = _table("v5e:4x4", (4, 4, 1))
    assert [r[0] for r in one_host] == list(range(16))  # a single host lists in id order
    two_hosts = _table("v5e:2x4", (2, 2, 1))
    assert [p for *_, p in two_hosts] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert {p for *_, p in _table("v5e:2x4", (2, 4, 1))} == {0}


def test_v5p_2x2x2_and_tpu7x_devices():
    rows = _table("v5p:2x2x2")
    assert [(i, c) for i, c, _, _ in rows] == [
        (x + 2 * y + 4 * z, (x, y, z)) for z in range(2) for y in range(2) for x in range(2)
    ]
    assert [p for *_, p in rows] == [0] * 4 + [1] * 4  # one 2x2x1 host per z plane
    assert {d.device_kind for d in tpu_devices("v5p:2x2x2")} == {"TPU v5"}
    rows = _table("tpu7x:2x2x1")
    # Two devices (TensorCores) per chip: id = core + 2 * (x + 2y).
    assert [(i, c, k) for i, c, k, _ in rows] == [
        (k + 2 * (x + 2 * y), (x, y, 0), k) for y in range(2) for x in range(2) for k in range(2)
    ]
    assert {d.device_kind for d in tpu_devices("tpu7x:2x2x1")} == {"TPU7x"}


def _instructions(text: str) -> list[str]:
    """The module without its source-location table (call sites differ between compiles)."""
    return [ln for ln in text.splitlines() if "file_name_id=" not in ln]


def _smoke_compiled(devices, order):
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.array([devices[i] for i in order], dtype=object).reshape(2, 4), ("d", "m"))
    x = jax.ShapeDtypeStruct((1024, 512), jnp.bfloat16, sharding=NamedSharding(mesh, P("d", "m")))
    w = jax.ShapeDtypeStruct((512, 256), jnp.bfloat16, sharding=NamedSharding(mesh, P("m", None)))
    lowered = jax.jit(lambda a, b: jnp.tanh(a @ b).sum(axis=0)).lower(x, w)
    return lowered.as_text(dialect="hlo"), lowered.compile()


def test_device_order_changes_tpu_collective_config_but_not_partitioning():
    import jax

    devices = tpu_devices("v5e:2x4")
    perm = (3, 6, 0, 5, 2, 7, 4, 1)
    low_a, a = _smoke_compiled(devices, range(8))
    low_b, b = _smoke_compiled(devices, perm)
    assert low_a == low_b  # the lowered text carries no device assignment
    # Source-location tables differ (two call sites); the instructions are what matter.
    lines_a, lines_b = (_instructions(c.as_text()) for c in (a, b))
    changed = [(x, y) for x, y in zip(lines_a, lines_b, strict=True) if x != y]
    # Only the all-reduce's backend_config differs: libtpu picks its collective algorithm
    # (a reordering map for the ring) from the physical placement of the group.
    assert len(changed) == 1
    x, y = changed[0]
    assert "all-reduce(" in x and "replica_groups=" in x
    ops = difflib.SequenceMatcher(None, x, y).get_opcodes()
    diffs = {(x[i1:i2], y[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"}
    assert diffs == {("1", "0")}
    assert "has_reordering_map:1" in x and "has_reordering_map:0" in y
    assert re.sub(r"backend_config=.*", "", x) == re.sub(r"backend_config=.*", "", y)
    assert a.cost_analysis()["flops"] == b.cost_analysis()["flops"]
    # The XLA CPU backend ignores the order entirely.
    cpu = jax.devices("cpu")
    cpu_a, cpu_b = (_smoke_compiled(cpu, o)[1].as_text() for o in (range(8), perm))
    assert _instructions(cpu_a) == _instructions(cpu_b)


def test_abstract_mesh_lowering_equals_concrete_and_tpu_device_assignment_compile_fails():
    import jax
    import jax.numpy as jnp
    from jax.sharding import AbstractMesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    am = AbstractMesh((2, 4), ("d", "m"))
    x = jax.ShapeDtypeStruct((1024, 512), jnp.bfloat16, sharding=NamedSharding(am, P("d", "m")))
    w = jax.ShapeDtypeStruct((512, 256), jnp.bfloat16, sharding=NamedSharding(am, P("m", None)))
    fn = jax.jit(lambda a, b: jnp.tanh(a @ b).sum(axis=0))
    lowered = fn.trace(x, w).lower(lowering_platforms=("tpu",))
    concrete_text, _ = _smoke_compiled(tpu_devices("v5e:2x4"), range(8))
    strip = lambda t: re.sub(r"metadata=\{[^}]*\}", "", t)  # noqa: E731 - source lines differ
    assert strip(lowered.as_text(dialect="hlo")) == strip(concrete_text)
    # "Lower once, compile per placement" is a trap with compile-only TPU devices: the runtime
    # client is the CPU one. With 8 CPU devices (this test session) the TPU ids resolve to CPU
    # devices and the XLA *CPU* compiler runs silently (no TPU tiled layouts, no libtpu
    # collective configs); with fewer CPU devices it fails with "Unknown PjRt global device ID".
    tpu_compiled = _smoke_compiled(tpu_devices("v5e:2x4"), range(8))[1].as_text()
    assert "T(8,128)" in tpu_compiled and "collective_algorithm_config" in tpu_compiled
    silent = lowered.compile(device_assignment=tuple(tpu_devices("v5e:2x4"))).as_text()
    assert "T(8,128)" not in silent and "collective_algorithm_config" not in silent
    cpu_lowered = fn.trace(x, w).lower(lowering_platforms=("cpu",))
    assert (
        "all-reduce" in cpu_lowered.compile(device_assignment=tuple(jax.devices("cpu"))).as_text()
    )
