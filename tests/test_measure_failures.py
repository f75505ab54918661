"""``--measure`` when the measurement goes wrong: a hung or crashed measurement process is
stopped and reported, and the plan is still written with ``measured.error`` saying why; a
plan's own row that cannot run does the same. The TPU runner does not inherit the planner's
compile-only environment. No device work here: the runner is replaced by small scripts."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

import pytest

from aoizora.compiler import env
from aoizora.measure import rows
from aoizora.planner.progress import Progress

JOB = {"compiler": "cpu", "rows": []}


def _runner(monkeypatch, code: str) -> None:
    monkeypatch.setattr(rows, "RUNNER", (sys.executable, "-c", code))


def test_a_hung_measurement_is_stopped_after_the_row_timeout(monkeypatch):
    _runner(monkeypatch, "import time; time.sleep(120)")
    monkeypatch.setenv(rows.ROW_TIMEOUT_ENV, "1")
    t0 = time.monotonic()
    with pytest.raises(rows.MeasureFailed, match=rows.ROW_TIMEOUT_ENV):
        rows._spawn(JOB)
    assert time.monotonic() - t0 < 30


def test_a_row_that_reports_resets_the_timeout(monkeypatch, tmp_path):
    # Three rows of 0.6 s each under a 1 s limit per row: no timeout, every line handed on.
    code = (
        "import json, sys, time\n"
        "for i in range(3):\n"
        "    time.sleep(0.6); print(json.dumps({'row': i, 'seconds': 1.0}), flush=True)\n"
        "open(sys.argv[2], 'w').write(json.dumps({'devices': 'd', 'rows': []}))\n"
    )
    _runner(monkeypatch, code)
    monkeypatch.setenv(rows.ROW_TIMEOUT_ENV, "1")
    seen = []
    assert rows._spawn(JOB, on_line=seen.append) == {"devices": "d", "rows": []}
    assert [m["row"] for m in seen] == [0, 1, 2]


def test_a_crashed_measurement_names_its_exit_and_last_words(monkeypatch):
    _runner(monkeypatch, "import sys; sys.stderr.write('libtpu: abort\\n'); sys.exit(3)")
    with pytest.raises(rows.MeasureFailed, match=r"exit 3.*libtpu: abort"):
        rows._spawn(JOB)


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan"])
def test_a_bad_row_timeout_names_the_value(monkeypatch, value):
    monkeypatch.setenv(rows.ROW_TIMEOUT_ENV, value)
    with pytest.raises(ValueError, match=repr(value).replace("'", ".")):
        rows.row_timeout_s()


def _session():
    topology = SimpleNamespace(num_devices=4, device_kind="TPU v5 lite")
    return SimpleNamespace(req=SimpleNamespace(compiler="cpu"), topology=topology)


def _plan():
    return SimpleNamespace(measured=None)


def _rows(monkeypatch, names):
    pairs = [({"name": n, "candidate": "cfg=2", "predicted_seconds": 1.0}, {}) for n in names]
    pairs[0] = (pairs[0][0], None)
    monkeypatch.setattr(rows, "plan_rows", lambda p, plan, n: pairs)
    return pairs


def test_a_failed_measurement_keeps_the_plan_and_says_why(monkeypatch):
    _rows(monkeypatch, [rows.OURS])

    def crash(job, on_line=None):
        raise rows.MeasureFailed("the measurement process failed (exit -9): no output")

    monkeypatch.setattr(rows, "_spawn", crash)
    plan = _plan()
    m = rows.measure_plan(_session(), plan, 1, Progress(enabled=False))
    assert plan.measured is m and "exit -9" in m["error"] and "seconds" not in m


def test_the_plans_own_row_failing_keeps_the_other_rows(monkeypatch):
    pairs = _rows(monkeypatch, [rows.OURS, "ours+make_mesh"])
    result = {
        "devices": "4 cpu devices",
        "rows": [{"error": "RESOURCE_EXHAUSTED: 17 GiB"}, {"seconds": 0.5, "runs": [0.5]}],
    }
    monkeypatch.setattr(rows, "_spawn", lambda job, on_line=None: result)
    plan = _plan()
    m = rows.measure_plan(_session(), plan, 1, Progress(enabled=False))
    assert "RESOURCE_EXHAUSTED" in m["error"] and m["devices"] == "4 cpu devices"
    assert [r["measured_seconds"] for r in m["rows"]] == [None, 0.5]
    assert pairs[1][1]["measured"]["seconds"] == 0.5  # the baseline row keeps its measurement


def test_the_schema_accepts_a_failed_measurement_and_nothing_emptier():
    import jsonschema

    from aoizora.plan_schema import PLAN_SCHEMA

    measured = jsonschema.Draft202012Validator(PLAN_SCHEMA["properties"]["measured"])
    assert measured.is_valid(rows._failed("the measurement process failed (exit 1): x", 2, 5))
    assert not measured.is_valid({"devices": "4 cpu devices", "warmup": 2})


def test_the_tpu_runner_does_not_inherit_compile_only_settings(monkeypatch):
    monkeypatch.delenv("TPU_SKIP_MDS_QUERY", raising=False)
    monkeypatch.delenv(env._ADDED, raising=False)
    monkeypatch.setenv("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")  # the user's own: kept
    env.configure()
    runtime = env.runtime_variables(dict(__import__("os").environ))
    assert "TPU_SKIP_MDS_QUERY" not in runtime and env._ADDED not in runtime
    assert runtime["ALLOW_MULTIPLE_LIBTPU_LOAD"] == "1"
    assert rows._runner_env("cpu")["TPU_SKIP_MDS_QUERY"] == "1"
    assert "TPU_SKIP_MDS_QUERY" not in rows._runner_env("tpu")
