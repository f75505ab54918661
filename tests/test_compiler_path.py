"""The real compilers work on this CPU-only host: TPU ahead-of-time through libtpu, and the XLA
CPU backend with a forced device count (the fallback)."""

import pytest

from aoizora.compiler import env, smoke
from aoizora.compiler.tpu_topology import tpu_devices

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")


def test_v5e_2x4_devices_are_2_wide_4_tall_x_fastest():
    devices = tpu_devices("v5e:2x4")
    coords = [tuple(d.coords) for d in devices]
    ids = [d.id for d in devices]
    assert ids == list(range(8))
    # Verified layout (docs/compilers.md): x in {0,1}, y in {0..3}, id = x + 2*y.
    assert coords == [(i % 2, i // 2, 0) for i in range(8)]
    assert {d.device_kind for d in devices} == {"TPU v5 lite"}


def test_tpu_aot_compile_reports_collectives_memory_and_cost():
    report = smoke.compile_smoke("v5e:2x4", compiler="tpu")
    assert report["compiler"].startswith("tpu-aot")
    # The contracting dim is sharded over 'model' and rows over 'data': XLA must reduce across
    # devices, so at least one all-reduce (or reduce-scatter) appears in the compiled module.
    assert set(report["collectives"]) & {"all-reduce", "reduce-scatter"}
    # Per-device argument bytes: x shard 512x128 bf16 + w shard 128x256 bf16.
    assert report["memory"]["argument_bytes"] == 512 * 128 * 2 + 128 * 256 * 2
    # Dot FLOPs per device are 2*512*128*256 = 33.5 MFLOP; XLA adds the tanh/sum elementwise work.
    assert report["flops"] >= 2 * 512 * 128 * 256


def test_cpu_fallback_compile():
    report = smoke.compile_smoke("v5e:2x4", compiler="cpu")
    assert report["compiler"].startswith("xla-cpu")
    assert set(report["collectives"]) & {"all-reduce", "reduce-scatter"}
    assert report["memory"]["argument_bytes"] == 512 * 128 * 2 + 128 * 256 * 2
