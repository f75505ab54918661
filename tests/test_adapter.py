"""The compiler adapter: in-process lowering, compiles in worker processes (TPU AOT and the CPU
fallback), the on-disk cache, and failure isolation (out of memory, crash, timeout)."""

import hashlib
import json
import re

import pytest

from aoizora.compiler import adapter, env
from aoizora.compiler.cache import CompileCache, cache_key
from aoizora.compiler.examples import FACTORY, ExampleCandidate
from aoizora.compiler.job import CompileJob, CompileResult, Workload

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

MLP = Workload.of(FACTORY)  # batch 256, d_model 512, d_ff 2048
B, D, F = 256, 512, 2048
GIB = 1 << 30


def _shard_argument_bytes(data: int, model: int, fsdp: bool = False) -> int:
    w_shard = D * F // model // (data if fsdp else 1)
    return 2 * (B // data * D + 2 * w_shard)  # bf16 x shard + w1 and w2 shards


def test_lower_gives_unpartitioned_hlo_with_shardings_and_its_hash():
    low = adapter.lower(ExampleCandidate.of(2, 4), workload=MLP)
    assert low.sha256 == hashlib.sha256(low.hlo_text.encode()).hexdigest()
    # Pre-compile: full (global) shapes, shardings attached, no collectives inserted yet.
    assert "bf16[256,512]" in low.hlo_text
    assert "sharding={devices=[2,1,4]<=[8] last_tile_dim_replicate}" in low.hlo_text
    assert not re.search(r"all-reduce|all-gather|reduce-scatter", low.hlo_text)
    assert low.mesh_shape == (2, 4) and low.axis_names == ("data", "model")
    assert 0 < low.trace_seconds <= low.lower_seconds


def test_tpu_compile_memory_cost_collectives_and_cache(tmp_path):
    cache = CompileCache(tmp_path)
    cand = ExampleCandidate.of(2, 4)
    r = adapter.compile(cand, "v5e:2x4", workload=MLP, cache=cache)
    assert r.status == "ok", r.error
    assert r.compiler.startswith("tpu-aot (libtpu ")
    assert r.device_ids == tuple(range(8))
    assert r.memory.argument_bytes == _shard_argument_bytes(2, 4)
    assert r.memory.output_bytes == 2 * (B // 2) * D
    assert r.memory.hbm_bytes == 16 * GIB and r.memory.fits
    assert r.memory.peak_bytes >= r.memory.argument_bytes + r.memory.output_bytes
    # Two matmuls per chip over a (B/2, D) x (D, F/4) shard: 2 * 2*(B/2)*D*(F/4) FLOPs, plus gelu.
    assert r.cost["flops"] >= 2 * 2 * (B // 2) * D * (F // 4)
    # The second matmul contracts the model-sharded dim: an all-reduce within each model group.
    groups = r"(\[2,4\]<=\[8\]|\{\{0,1,2,3\},\{4,5,6,7\}\})"  # iota or explicit form
    assert re.search(r"all-reduce(-start)?\(.*replica_groups=" + groups, r.hlo_text)
    assert not r.cached and r.compile_seconds > 0 and r.wall_seconds > r.compile_seconds
    entries = list((tmp_path / "compile").iterdir())
    assert [e.name for e in entries] == [f"{r.key}.json"]  # no temp file left behind
    again = adapter.compile(cand, "v5e:2x4", workload=MLP, cache=cache)
    assert again.cached and again.hlo_text == r.hlo_text and again.memory == r.memory


def test_cache_key_covers_options_device_order_compiler_and_topology():
    cand = ExampleCandidate.of(2, 4)
    base = adapter.make_job(cand, "v5e:2x4", workload=MLP)
    variants = [
        adapter.make_job(cand, "v5e:2x4", workload=MLP, options={"xla_tpu_foo": "1"}),
        adapter.make_job(cand, "v5e:2x4", workload=MLP, device_ids=[1, 0, 2, 3, 4, 5, 6, 7]),
        adapter.make_job(cand, "v5e:2x4", workload=MLP, compiler="cpu"),
        adapter.make_job(cand, "v6e:2x4", workload=MLP),
    ]
    keys = {cache_key(j, "a" * 64) for j in [base, *variants]}
    assert len(keys) == 5
    assert cache_key(base, "a" * 64) != cache_key(base, "b" * 64)
    assert cache_key(base, "a" * 64) == cache_key(
        adapter.make_job(cand, "v5e:2x4", workload=MLP), "a" * 64
    )


def test_corrupt_cache_entry_is_a_miss(tmp_path):
    cache = CompileCache(tmp_path)
    r = CompileResult(status="ok", candidate="c", topology="v5e:2x4", compiler="x", key="k1")
    r.hlo_text = "HloModule m"
    cache.put(r)
    assert cache.get("k1").cached
    (tmp_path / "compile" / "k1.json").write_text('{"status": "ok", "trunc')
    assert cache.get("k1") is None
    assert cache.get("absent") is None


def test_out_of_memory_is_one_failed_candidate_not_an_exception(tmp_path):
    # x alone is 256*160000 x 512 bf16 / 2 chips = 19.5 GiB per chip: cannot fit a 16 GiB v5e.
    big = Workload.of(FACTORY, scale=160000)
    r = adapter.compile(
        ExampleCandidate.of(2, 4), "v5e:2x4", workload=big, cache=CompileCache(tmp_path)
    )
    assert r.status == "oom", r.error
    assert r.fits is False
    assert "RESOURCE_EXHAUSTED" in r.error
    # libtpu states the usable HBM: a little under the 16 GiB of the chip.
    assert 15 * GIB < r.oom_limit_bytes <= 16 * GIB
    assert r.oom_used_bytes > r.oom_limit_bytes
    assert r.compile_seconds > 0  # the compiler ran and refused; lowering succeeded


def test_crash_and_timeout_fail_one_candidate_each_and_others_still_compile(tmp_path):
    cand = ExampleCandidate.of(4, 2)
    jobs = [
        adapter.make_job(cand, "v5e:2x4", workload=Workload.of(FACTORY)),
        adapter.make_job(cand, "v5e:2x4", workload=Workload.of(FACTORY, d_ff=1024)),
    ]
    crash = adapter.make_job(cand, "v5e:2x4", workload=Workload.of(FACTORY.replace("mlp", "crash")))
    slow = adapter.make_job(
        cand, "v5e:2x4", workload=Workload.of(FACTORY.replace("mlp", "slow"), seconds=120.0)
    )
    # Lowering in this process (for the cache key) must not run the faulty factories' side
    # effects here, so give the compile step precomputed lowerings of a healthy twin.
    healthy = adapter.lower_job_text(jobs[0])
    r_crash = adapter.compile_job(crash, cache=False, lowered=healthy)
    assert r_crash.status == "crashed"
    assert "signal 9" in r_crash.error
    r_slow = adapter.compile_job(slow, cache=False, lowered=healthy, timeout_s=8)
    assert r_slow.status == "timeout" and "8 s timeout" in r_slow.error
    assert r_slow.wall_seconds < 60
    results = adapter.compile_jobs(jobs, workers=2, cache=CompileCache(tmp_path))
    assert [r.status for r in results] == ["ok", "ok"]
    # Results come back in job order: the d_ff=1024 job has half the weight bytes.
    assert results[0].memory.argument_bytes == _shard_argument_bytes(4, 2)
    assert results[1].memory.argument_bytes == 2 * (B // 4 * D + 2 * D * 1024 // 2)
    # Crashes and timeouts are not cached; successes are.
    assert len(list((tmp_path / "compile").glob("*.json"))) == 2


def test_cpu_fallback_in_parallel_is_labelled_and_agrees_on_argument_bytes(tmp_path):
    cands = [
        ExampleCandidate.of(1, 8),
        ExampleCandidate.of(8, 1, fsdp=True),
        ExampleCandidate.of(4, 2),
    ]
    seen = []
    results = adapter.compile_many(
        cands,
        "v5e:2x4",
        workload=MLP,
        compiler="cpu",
        workers=2,
        cache=CompileCache(tmp_path),
        on_result=lambda job, res: seen.append(job.candidate),
    )
    assert [r.candidate for r in results] == [c.label() for c in cands]
    assert sorted(seen) == sorted(c.label() for c in cands)
    for c, r in zip(cands, results, strict=True):
        assert r.status == "ok", r.error
        assert "fallback" in r.compiler and "not the TPU compiler" in r.compiler
        data, model = c.mesh_shape()
        assert r.memory.argument_bytes == _shard_argument_bytes(data, model, c.fsdp)
    # FSDP over data=8: the weights are all-gathered before the matmuls.
    assert "all-gather" in results[1].hlo_text


def test_device_order_is_respected_and_validated(tmp_path):
    order = [3, 6, 0, 5, 2, 7, 4, 1]
    r = adapter.compile(
        ExampleCandidate.of(2, 4),
        "v5e:2x4",
        workload=MLP,
        device_ids=order,
        cache=CompileCache(tmp_path),
    )
    assert r.status == "ok" and r.device_ids == tuple(order)
    bad = adapter.compile(
        ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP, device_ids=[0] * 8, cache=False
    )
    assert bad.status == "error" and "not a permutation" in bad.error


def test_job_round_trips_through_json_and_rejects_bad_input():
    job = adapter.make_job(
        ExampleCandidate.of(2, 4, fsdp=True),
        "v5e:2x4",
        workload=Workload.of(FACTORY, d_ff=1024),
        options={"xla_dump_hlo_as_text": "true"},
        device_ids=range(8),
    )
    assert CompileJob.from_json(job.to_json()) == job
    assert json.loads(job.to_json())["candidate"] == "data=2,model=4,fsdp"
    with pytest.raises(ValueError, match="unknown compiler 'gpu'"):
        adapter.make_job(ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP, compiler="gpu")
    with pytest.raises(ValueError, match="bad slice spec"):
        adapter.make_job(ExampleCandidate.of(2, 4), "v5e-8", workload=MLP)
    with pytest.raises(ValueError, match="module:function"):
        Workload.of("aoizora.compiler.examples.mlp_step")
    with pytest.raises(ValueError, match="has no factory 'nope'"):
        adapter.lower(
            ExampleCandidate.of(2, 4), workload=Workload.of("aoizora.compiler.examples:nope")
        )


def test_lowering_failure_fails_one_job_and_mismatched_lowering_is_recached(tmp_path):
    cache = CompileCache(tmp_path)
    good = adapter.make_job(ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP)
    bad = adapter.make_job(
        ExampleCandidate.of(2, 4), "v5e:2x4", workload=Workload.of(FACTORY, d_model=-1)
    )
    r_bad, r_good = adapter.compile_jobs([bad, good], workers=1, cache=cache)
    assert r_bad.status == "error" and r_bad.error.startswith("lowering failed:")
    assert r_good.status == "ok"
    # A worker that lowers other text than the caller hashed (e.g. the model source changed in
    # between) has its result filed under the key of what it really compiled.
    stale = adapter.lower_job_text(
        adapter.make_job(
            ExampleCandidate.of(2, 4), "v5e:2x4", workload=Workload.of(FACTORY, d_ff=1024)
        )
    )
    r = adapter.compile_job(good, cache=cache, lowered=stale)
    assert r.status == "ok" and r.key == r_good.key != cache_key(good, stale.sha256)
    assert "differs" in r.error
