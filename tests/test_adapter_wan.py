"""The adapter on the real workload: the Wan 2.1 tiny config (every structural feature, small
shapes) lowered and compiled ahead of time for a v5e:2x4 slice."""

import re

import pytest

from aoizora.compiler import adapter, env
from aoizora.compiler.cache import CompileCache
from aoizora.models.wan.workload import wan_workload

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

models = pytest.importorskip("aoizora.models")
TINY = wan_workload("wan2.1-tiny", "tiny", 5)


def _collectives(text: str) -> set[str]:
    ops = r"all-gather|all-reduce|reduce-scatter|all-to-all|collective-permute"
    return set(re.findall(rf"\b({ops})(?:-start)?\(", text))


def test_wan_tiny_strategies_compile_for_v5e_2x4(tmp_path):
    cache = CompileCache(tmp_path)
    labels = ["cfg=2,ulysses=4", "cfg=2,ulysses=4|w:ulysses", "ring=4,tp=2"]
    cands = [models.Candidate.parse(t) for t in labels]
    lowered = [adapter.lower(c, workload=TINY) for c in cands]
    results = adapter.compile_many(cands, "v5e:2x4", workload=TINY, workers=2, cache=cache)
    for low, r in zip(lowered, results, strict=True):
        assert r.status == "ok", r.error
        # Lowering is deterministic across processes: the worker (concrete TPU devices) lowered
        # the very text whose hash keys the cache (in-process, AbstractMesh).
        assert r.lowered_sha256 == low.sha256
        assert r.memory.fits and r.cost["flops"] > 0
    uly, uly_fsdp, ring_tp = results
    assert "all-to-all" in _collectives(uly.hlo_text)  # Ulysses: sequence <-> heads
    assert "collective-permute" in _collectives(ring_tp.hlo_text)  # ring attention
    # FSDP over ulysses=4: block weights are stored sharded and gathered per layer.
    assert "all-gather" in _collectives(uly_fsdp.hlo_text)
    assert uly_fsdp.memory.argument_bytes < uly.memory.argument_bytes
    again = adapter.compile(cands[0], "v5e:2x4", workload=TINY, cache=cache)
    assert again.cached and again.hlo_text == uly.hlo_text
