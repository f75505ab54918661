"""Faults around compiling: a compile cache that cannot be trusted (a fault, warned about and
treated as a miss, never bad input), Ctrl-C while compiling (the first finishes the running
compiles, the second kills the workers) and a planner killed with -9 (its workers exit, and a
rerun reuses every compile that finished). CPU-fallback compiles of the small example MLP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aoizora.compiler import adapter
from aoizora.compiler.cache import CompileCache, _checksum
from aoizora.compiler.examples import FACTORY, ExampleCandidate
from aoizora.compiler.job import CompileResult, Workload

MLP = Workload.of(FACTORY)


def _result(key: str = "k1", candidate: str = "data=2,model=4") -> CompileResult:
    return CompileResult(
        status="ok",
        candidate=candidate,
        topology="v5e:2x4",
        compiler="x",
        key=key,
        mesh_shape=(2, 4),
        axis_names=("data", "model"),
        hlo_text="HloModule m",
    )


def _entry(tmp_path: Path, key: str = "k1") -> Path:
    return tmp_path / "compile" / f"{key}.json"


def test_entry_round_trip_stores_key_candidate_and_checksum(tmp_path):
    cache = CompileCache(tmp_path)
    cache.put(_result())
    entry = json.loads(_entry(tmp_path).read_text())
    assert entry["key"] == "k1" and entry["candidate"] == "data=2,model=4"
    assert entry["checksum"] == _checksum(entry["result"])
    hit = cache.get("k1")
    assert hit is not None and hit.cached and hit.hlo_text == "HloModule m"
    assert cache.faults == []


def _fault(cache: CompileCache, key: str, caplog, *needles: str) -> None:
    with caplog.at_level("WARNING", logger="aoizora.cache"):
        assert cache.get(key) is None
    message = cache.faults[-1]
    assert message in caplog.text
    for needle in needles:
        assert needle in message, message


def test_entry_copied_over_another_key_is_a_miss_naming_the_file(tmp_path, caplog):
    cache = CompileCache(tmp_path)
    cache.put(_result("k1"))
    cache.put(_result("k2", candidate="data=4,model=2"))
    _entry(tmp_path, "k2").write_bytes(_entry(tmp_path, "k1").read_bytes())
    _fault(cache, "k2", caplog, str(_entry(tmp_path, "k2")), "another key", "miss")


def test_edited_entry_fails_its_checksum(tmp_path, caplog):
    cache = CompileCache(tmp_path)
    cache.put(_result())
    entry = json.loads(_entry(tmp_path).read_text())
    entry["result"]["cost"] = {"flops": 1.0}  # someone changes the numbers a plan rests on
    _entry(tmp_path).write_text(json.dumps(entry))
    _fault(cache, "k1", caplog, str(_entry(tmp_path)), "checksum")


def test_entry_whose_hlo_is_garbage_is_a_miss(tmp_path, caplog):
    cache = CompileCache(tmp_path)
    garbage = _result()
    garbage.hlo_text = "dott(garbage"
    cache.put(garbage)  # a writer that checksummed garbage: the checksum alone cannot tell
    _fault(cache, "k1", caplog, str(_entry(tmp_path)), "no compiled HLO module")


def test_entry_for_another_candidate_is_a_miss(tmp_path, caplog):
    cache = CompileCache(tmp_path)
    cache.put(_result("k1", candidate="data=4,model=2"))
    job = adapter.make_job(ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP, compiler="cpu")
    with caplog.at_level("WARNING", logger="aoizora.cache"):
        assert cache.get("k1", job) is None
    assert "'data=4,model=2'" in cache.faults[-1] and "not 'data=2,model=4'" in cache.faults[-1]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"schema": 3, "trunc', "not valid JSON"),
        (b"[" * 100000, "not valid JSON"),
        (b'{"status": "ok", "candidate": "c"}', "schema-3"),
    ],
)
def test_undecodable_entry_is_a_miss_naming_the_file(tmp_path, caplog, content, needle):
    cache = CompileCache(tmp_path)
    cache.put(_result())
    _entry(tmp_path).write_bytes(content)
    _fault(cache, "k1", caplog, str(_entry(tmp_path)), needle)


def test_entry_that_is_a_directory_is_a_fault_not_a_crash(tmp_path, caplog):
    cache = CompileCache(tmp_path)
    _entry(tmp_path).mkdir(parents=True)
    _fault(cache, "k1", caplog, str(_entry(tmp_path)), "cannot read")
    cache.put(_result())  # cannot replace a directory: a warning, the compile goes on
    assert "cannot write entry" in cache.faults[-1]
    assert not [p for p in _entry(tmp_path).parent.iterdir() if p.name.startswith(".tmp-")]


def test_cache_dir_that_is_a_file_compiles_uncached_with_one_warning(tmp_path, caplog):
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("I am a file")
    cache = CompileCache(not_a_dir)
    job = adapter.make_job(ExampleCandidate.of(2, 4), "v5e:2x4", workload=MLP, compiler="cpu")
    with caplog.at_level("WARNING", logger="aoizora.cache"):
        r = adapter.compile_job(job, cache=cache)
        again = adapter.compile_job(job, cache=cache)
    assert r.status == again.status == "ok" and not again.cached
    assert len(cache.faults) == 1 and str(not_a_dir) in cache.faults[0]
    assert "without the cache" in cache.faults[0]


def test_temporary_files_of_killed_writers_are_removed(tmp_path):
    folder = tmp_path / "compile"
    folder.mkdir()
    old, fresh = folder / ".tmp-killed.json", folder / ".tmp-writing.json"
    old.write_text("{")
    fresh.write_text("{")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    cache = CompileCache(tmp_path)
    assert cache.get("k1") is None
    assert not old.exists() and fresh.exists()  # a writer may be busy with the fresh one


# Ctrl-C and kill -9: a planner-like script compiling three slow jobs on two workers.
_SCRIPT = textwrap.dedent(
    """
    import sys
    from aoizora.compiler import env
    env.configure(cpu_devices=8)
    from aoizora.compiler import adapter
    from aoizora.compiler.cache import CompileCache
    from aoizora.compiler.examples import FACTORY, ExampleCandidate
    from aoizora.compiler.job import Workload

    cache, seconds = CompileCache(sys.argv[1]), [float(s) for s in sys.argv[2].split(",")]
    jobs = [
        adapter.make_job(
            ExampleCandidate.of(d, 8 // d), "v5e:2x4", compiler="cpu",
            workload=Workload.of(FACTORY.replace("mlp", "slow"), seconds=s, worker_only=True),
        )
        for d, s in zip((2, 4, 8), seconds)
    ]
    try:
        results = adapter.compile_jobs(jobs, workers=2, cache=cache)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        sys.exit(130)
    print("statuses", " ".join(f"{r.status}:{r.cached}" for r in results), flush=True)
    """
)


def _start(tmp_path: Path, seconds: str) -> tuple[subprocess.Popen, Path]:
    pids = tmp_path / "pids"
    pids.mkdir(exist_ok=True)
    env = {**os.environ, "AOIZORA_TEST_PID_DIR": str(pids)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "cache"), seconds],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return proc, pids


def _wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while not predicate():
        if time.time() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead; it waits only for its (re)parent to reap it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _worker_pids(pids: Path) -> list[int]:
    return [int(p.name) for p in pids.iterdir()]


def test_first_ctrl_c_finishes_running_compiles_and_caches_them(tmp_path):
    proc, pids = _start(tmp_path, "3,3,3")
    _wait_for(lambda: len(_worker_pids(pids)) == 2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "finishing the 2 compile(s) running now" in err and "Ctrl-C again" in err
    assert "Traceback" not in err
    assert len(_worker_pids(pids)) == 2  # the third compile never started
    # The two that ran are cached: a rerun compiles only the third.
    proc, _ = _start(tmp_path, "0,0,0")
    out, err = proc.communicate(timeout=60)
    assert out.split()[-3:] == ["ok:True", "ok:True", "ok:False"], err


def test_second_ctrl_c_kills_the_workers(tmp_path):
    proc, pids = _start(tmp_path, "120,120,120")
    _wait_for(lambda: len(_worker_pids(pids)) == 2)
    workers = _worker_pids(pids)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "stopped 2 compile worker(s)" in err and "Traceback" not in err
    _wait_for(lambda: not any(_alive(p) for p in workers), timeout=10)


def test_kill_9_leaves_no_worker_and_a_rerun_reuses_finished_compiles(tmp_path):
    proc, pids = _start(tmp_path, "0,120,120")
    cache_dir = tmp_path / "cache" / "compile"
    # The first job finishes (and is cached); the other two are still compiling.
    _wait_for(lambda: cache_dir.is_dir() and any(cache_dir.glob("*.json")))
    _wait_for(lambda: len(_worker_pids(pids)) == 3)
    proc.kill()
    proc.wait()
    workers = _worker_pids(pids)
    _wait_for(lambda: not any(_alive(p) for p in workers), timeout=15)
    proc, _ = _start(tmp_path, "0,0,0")
    out, err = proc.communicate(timeout=60)
    assert out.split()[-3:] == ["ok:True", "ok:False", "ok:False"], err
