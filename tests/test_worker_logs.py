"""Compile workers' output (libtpu's and XLA's messages) goes to a log file under
``$AOIZORA_LOG_DIR`` (``aoizora plan`` sets it to ``--out/logs``), never to the terminal, and a
failure's message names that file."""

import pytest

from aoizora.compiler import adapter, env
from aoizora.compiler.examples import FACTORY, ExampleCandidate
from aoizora.compiler.job import Workload

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")


def test_a_crashed_worker_names_its_log(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv(adapter.LOG_DIR_ENV, str(tmp_path / "logs"))
    cand = ExampleCandidate.of(4, 2)
    healthy = adapter.lower_job_text(
        adapter.make_job(cand, "v5e:2x4", workload=Workload.of(FACTORY))
    )
    crash = adapter.make_job(
        cand, "v5e:2x4", workload=Workload.of(FACTORY.replace("mlp", "crash"), exit_code=3)
    )
    r = adapter.compile_job(crash, cache=False, lowered=healthy)
    assert r.status == "crashed" and "exit code 3" in r.error
    logs = list((tmp_path / "logs" / "compile").glob("*.log"))
    assert len(logs) == 1 and f"(worker log: {logs[0]})" in r.error
    out, err = capfd.readouterr()
    assert "TPU_WORKER_HOSTNAMES" not in out + err


def test_without_a_log_directory_the_output_stays_private(monkeypatch):
    monkeypatch.delenv(adapter.LOG_DIR_ENV, raising=False)
    job = adapter.make_job(ExampleCandidate.of(4, 2), "v5e:2x4", workload=Workload.of(FACTORY))
    assert adapter.worker_log_path(job, "k" * 64) is None


def test_log_names_are_safe_file_names(tmp_path, monkeypatch):
    monkeypatch.setenv(adapter.LOG_DIR_ENV, str(tmp_path))
    job = adapter.make_job(ExampleCandidate.of(4, 2), "v5e:2x4", workload=Workload.of(FACTORY))
    job = type(job)(**{**job.__dict__, "candidate": "ring=2,ulysses=4|w:ring/../x"})
    path = adapter.worker_log_path(job, "0123456789abcdef" * 4)
    assert path.parent == tmp_path / "compile"
    assert path.name == "ring=2,ulysses=4_w_ring_.._x-0123456789ab.log"
