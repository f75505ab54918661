"""``--executor ray``: compile jobs as Ray tasks on a local Ray instance with 2 CPUs (started once
for this module, shut down after). The tiny Wan top-K plan is the same with both executors apart
from timings and the executor's own fields; a compile that crashes, runs out of HBM or is
cancelled on a Ray worker is one candidate's result, never the plan's end."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from aoizora.compiler import adapter, env
from aoizora.compiler.cache import CompileCache, cache_key
from aoizora.compiler.examples import FACTORY, ExampleCandidate
from aoizora.compiler.executor import LocalExecutor, make_executor
from aoizora.compiler.job import Workload
from aoizora.plan import without_run_fields

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

MLP = Workload.of(FACTORY)
SLOW = FACTORY.replace("mlp", "slow")


@pytest.fixture(scope="module")
def executor():
    """One local Ray instance with 2 CPUs for the module (its start-up is paid once)."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    ex = make_executor("ray")
    assert not ex._owned  # joined the module's instance: close() leaves it running
    yield ex
    ray.shutdown()


def _healthy(cand: ExampleCandidate):
    """The MLP's lowering: the cache key of faulty factories, which must not run here."""
    return adapter.lower_job_text(adapter.make_job(cand, "v5e:2x4", workload=MLP, compiler="cpu"))


def _wait_for(predicate, timeout: float = 120.0) -> None:
    end = time.time() + timeout
    while not predicate():
        if time.time() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_task_env_is_what_a_local_worker_gets():
    from aoizora.compiler.executor_ray import task_env

    cpu = adapter.make_job(ExampleCandidate.of(2, 2), "v5e:2x2", workload=MLP, compiler="cpu")
    tpu = adapter.make_job(ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP, compiler="tpu")
    got = task_env(cpu)
    # The forced host device count is the job's (4), not the planner's own (8, conftest).
    assert got["JAX_NUM_CPU_DEVICES"] == "4"
    assert got["XLA_FLAGS"].split().count("--xla_force_host_platform_device_count=4") == 1
    assert "--xla_force_host_platform_device_count=8" not in got["XLA_FLAGS"]
    for key in ("JAX_PLATFORMS", "ALLOW_MULTIPLE_LIBTPU_LOAD", "TPU_SKIP_MDS_QUERY"):
        assert got[key] == os.environ[key]
    assert "JAX_NUM_CPU_DEVICES" not in task_env(tpu)
    # configure() and the task's variables are one computation.
    assert env.variables(4, {}) == {**env.variables(None, {}), **env.variables(4, {})}
    assert env.variables(None, {"JAX_PLATFORMS": "tpu"})["JAX_PLATFORMS"] == "tpu"


def test_bad_executor_input_names_the_value(monkeypatch):
    monkeypatch.setenv("AOIZORA_RAY_MAX_CALLS", "many")
    with pytest.raises(ValueError, match="AOIZORA_RAY_MAX_CALLS .* 'many'"):
        make_executor("ray")  # refused before Ray starts
    monkeypatch.delenv("AOIZORA_RAY_MAX_CALLS")
    with pytest.raises(ValueError, match="'dask'"):
        make_executor("dask")
    with pytest.raises(ValueError, match="--ray-address 'h:1' needs --executor ray"):
        make_executor("local", address="h:1")
    assert isinstance(make_executor("local"), LocalExecutor)


def test_a_ray_client_address_is_refused_naming_it():
    # Ray Client (ray://) cannot run the streaming tasks: refused before Ray is asked.
    with pytest.raises(ValueError, match="'ray://head:10001' is a Ray Client address"):
        make_executor("ray", address="ray://head:10001")


def test_a_node_keeps_its_label_when_another_node_shares_its_ip():
    from aoizora.compiler.executor_ray import FarmStatus

    status = FarmStatus()
    first = {"node_id": "aaaaaaaaaaaa", "ip": "10.0.0.1"}
    second = {"node_id": "bbbbbbbbbbbb", "ip": "10.0.0.1"}
    other = {"node_id": "cccccccccccc", "ip": "10.0.0.2"}
    labels = [status.node_label(n) for n in (first, second, first, other)]
    assert labels == ["10.0.0.1", "10.0.0.1 (bbbbbbbb)", "10.0.0.1", "10.0.0.2"]


def test_an_unreachable_ray_address_fails_at_once_naming_it():
    import socket

    from aoizora.compiler.executor_ray import _check_reachable

    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        t0 = time.perf_counter()
        with pytest.raises(ValueError, match=f"--ray-address '127.0.0.1:{port}'"):
            _check_reachable(f"127.0.0.1:{port}")
    assert time.perf_counter() - t0 < 10
    _check_reachable("auto")  # no port: left to Ray


def test_cli_rejects_a_ray_address_without_ray(tmp_path, capsys):
    from aoizora.cli.main import main

    argv = ["plan", "--model", "wan2.1-tiny", "--resolution", "tiny", "--frames", "9"]
    rc = main([*argv, "--ray-address", "h:1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "--ray-address 'h:1'" in err and "Traceback" not in err


def test_failures_on_a_ray_worker_are_one_candidate_each(executor, tmp_path):
    cand = ExampleCandidate.of(4, 2)
    healthy = _healthy(cand)
    ok = adapter.make_job(ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP, compiler="cpu")
    crash = adapter.make_job(
        cand, "v5e:2x4", workload=Workload.of(FACTORY.replace("mlp", "crash")), compiler="cpu"
    )
    # x alone is 19.5 GiB per chip: libtpu refuses it for a 16 GiB v5e (test_adapter.py).
    oom = adapter.make_job(cand, "v5e:2x4", workload=Workload.of(FACTORY, scale=160000))
    seen = []
    results = adapter.compile_jobs(
        [ok, crash, oom],
        workers=2,
        cache=CompileCache(tmp_path),
        lowered=[None, healthy, None],
        executor=executor,
        on_result=lambda job, res: seen.append(job.candidate),
    )
    assert [r.status for r in results] == ["ok", "crashed", "oom"], [r.error for r in results]
    assert results[0].compiler.startswith("xla-cpu-fallback") and results[0].memory.fits
    assert "compile worker died" in results[1].error and "Ray node" in results[1].error
    assert results[2].fits is False and results[2].oom_used_bytes > results[2].oom_limit_bytes
    assert len(seen) == 3
    # The planner wrote the cache: the deterministic outcomes (ok, oom), not the crash.
    keys = {p.stem for p in (tmp_path / "compile").glob("*.json")}
    assert keys == {results[0].key, results[2].key}
    # A rerun finds them without a Ray task.
    before = executor.status.done
    again = adapter.compile_jobs([ok, oom], cache=CompileCache(tmp_path), executor=executor)
    assert [r.cached for r in again] == [True, True] and executor.status.done == before
    assert "ray:" in executor.status_line() and "done per node" in executor.status_line()


def test_first_ctrl_c_cancels_queued_tasks_and_caches_running_ones(executor, tmp_path):
    cands = [ExampleCandidate.of(d, 8 // d) for d in (2, 4, 8)]
    slow = Workload.of(SLOW, seconds=8.0)
    jobs = [adapter.make_job(c, "v5e:2x4", workload=slow, compiler="cpu") for c in cands]
    lowered = [_healthy(c) for c in cands]
    done_before = executor.status.done

    def interrupt_when_two_run():
        _wait_for(lambda: executor.running() == 2 and executor.status.queued == 1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_two_run, daemon=True).start()
    # 3 compiles at once on 2 Ray CPUs: the third waits in Ray's queue.
    with pytest.raises(KeyboardInterrupt):
        adapter.compile_jobs(
            jobs, workers=3, cache=CompileCache(tmp_path), lowered=lowered, executor=executor
        )
    assert executor.running() == 0 and executor.status.queued == 0
    assert executor.status.done - done_before == 3
    # The two that ran (whichever Ray started first) finished and are cached; the queued one
    # never ran.
    cache = CompileCache(tmp_path)
    hits = [cache.get(cache_key(j, low.sha256), j) for j, low in zip(jobs, lowered, strict=True)]
    assert sum(h is not None and h.status == "ok" for h in hits) == 2
    assert len(list((tmp_path / "compile").glob("*.json"))) == 2


def test_second_ctrl_c_cancels_running_tasks(executor, tmp_path, capsys):
    cands = [ExampleCandidate.of(d, 8 // d) for d in (2, 4)]
    slow = Workload.of(SLOW, seconds=300.0)
    jobs = [adapter.make_job(c, "v5e:2x4", workload=slow, compiler="cpu") for c in cands]

    def interrupt_twice():
        _wait_for(lambda: executor.running() == 2)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_twice, daemon=True).start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        adapter.compile_jobs(
            jobs,
            cache=CompileCache(tmp_path),
            lowered=[_healthy(c) for c in cands],
            executor=executor,
        )
    assert time.perf_counter() - t0 < 120  # not the 300 s the compiles would take
    assert "stopped 2 compile task(s)" in capsys.readouterr().err
    _wait_for(lambda: executor.running() == 0, timeout=30)
    assert not (tmp_path / "compile").exists() or not list((tmp_path / "compile").glob("*.json"))


def _plan(executor_name: str, cache_dir: str):
    from aoizora.planner import PlanRequest, run_plan

    req = PlanRequest(
        model="wan2.1-tiny",
        resolution="tiny",
        frames=9,
        topology="v5e:2x2",
        mode="topk",
        k=2,
        compiler="cpu",
        workers=2,
        cache_dir=cache_dir,
        executor=executor_name,
    )
    return run_plan(req)


def test_top_k_plan_is_the_same_with_both_executors(executor, tmp_path):
    on_ray = _plan("ray", str(tmp_path / "ray-cache"))
    local = _plan("local", str(tmp_path / "local-cache"))
    assert on_ray.plan is not None and local.plan is not None
    a, b = on_ray.plan.to_json(), local.plan.to_json()
    assert without_run_fields(a) == without_run_fields(b)
    assert a["stats"]["executor"]["name"] == "ray" and b["stats"]["executor"] == {"name": "local"}
    # Every fresh compile of the Ray plan ran as a Ray task, on this instance's one node.
    per_node = a["stats"]["executor"]["tasks_per_node"]
    assert sum(per_node.values()) == a["stats"]["fresh_compiles"] > 0
    assert len(per_node) == 1
    # The driver wrote the cache in the same format: each run's entries are the other's keys.
    ray_keys = {p.name for p in (tmp_path / "ray-cache" / "compile").glob("*.json")}
    local_keys = {p.name for p in (tmp_path / "local-cache" / "compile").glob("*.json")}
    assert ray_keys == local_keys and len(ray_keys) == a["stats"]["fresh_compiles"]


def test_exact_plan_from_the_cli_on_ray_equals_the_local_plan(executor, tmp_path):
    """The issue's command, ``aoizora plan --mode exact --executor ray``, through the CLI (joining
    this module's Ray instance); then the local executor on the cache the Ray run wrote: the same
    plan with no compile of its own."""
    import json

    from aoizora.cli.main import main

    cache = tmp_path / "cache"
    argv = ["plan", "--model", "wan2.1-tiny", "--resolution", "tiny", "--frames", "9"]
    argv += ["--topology", "v5e:2x2", "--mode", "exact", "--compiler", "cpu"]
    argv += ["--cache-dir", str(cache)]
    assert main([*argv, "--executor", "ray", "--out", str(tmp_path / "ray")]) == 0
    assert main([*argv, "--out", str(tmp_path / "local")]) == 0
    on_ray = json.loads((tmp_path / "ray" / "plan.json").read_text())
    local = json.loads((tmp_path / "local" / "plan.json").read_text())
    ray_stats, local_stats = on_ray.pop("stats"), local.pop("stats")
    assert ray_stats["mode"] == "exact" and ray_stats["executor"]["name"] == "ray"
    assert sum(ray_stats["executor"]["tasks_per_node"].values()) == ray_stats["fresh_compiles"] > 0
    assert local_stats["executor"] == {"name": "local"} and local_stats["fresh_compiles"] == 0
    assert without_run_fields(on_ray) == without_run_fields(local)
    same = ("candidates", "lowered", "pruned", "compiled", "failed", "placements_scored")
    assert {k: ray_stats[k] for k in same} == {k: local_stats[k] for k in same}
