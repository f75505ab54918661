"""``aoizora plan --measure N`` end to end on this host: the tiny Wan config planned with the CPU
compiler for v5e:2x2, then the plan, the best runner-up and every baseline row run on the XLA CPU
backend's 4 host devices (CPU numbers, labelled so), measured next to predicted in plan.json,
report.md and the terminal; a host whose devices are not the slice is refused (exit 2) before
any planning. Also --calibration on plan (a hand-written fixture, not a measurement)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import aoizora

FIXTURE = str(Path(__file__).parent / "data" / "calibration-v5e-fixture.json")
PLAN = [
    sys.executable,
    "-m",
    "aoizora.cli.main",
    "plan",
    "--model",
    "wan2.1-tiny",
    "--resolution",
    "tiny",
    "--frames",
    "9",
    "--topology",
    "v5e:2x2",
]


def _env(**extra: str) -> dict[str, str]:
    """The user's environment: no device count forced by this test session."""
    env = {k: v for k, v in os.environ.items() if k not in ("JAX_NUM_CPU_DEVICES", "XLA_FLAGS")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    out = tmp_path_factory.mktemp("measure")
    argv = [
        *PLAN,
        "--compiler",
        "cpu",
        "--k",
        "2",
        "--workers",
        "2",
        "--measure",
        "2",
        "--measure-steps",
        "2",
        "--measure-warmup",
        "1",
        "--calibration",
        FIXTURE,
        "--cache-dir",
        str(tmp_path_factory.mktemp("cache")),
        "--out",
        str(out),
    ]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=1500, env=_env())
    assert run.returncode == 0, run.stderr[-3000:]
    return out, run.stdout


def test_plan_json_carries_measured_next_to_predicted(measured):
    out, _ = measured
    plan = aoizora.load_plan(out / "plan.json")  # the schema accepts the measured fields
    m = plan.measured
    assert "4 cpu devices" in m["devices"] and "CPU numbers, not TPU numbers" in m["devices"]
    assert m["steps"] == 2 and m["warmup"] == 1
    assert len(m["runs"]) == 2 and m["seconds"] > 0
    assert min(m["runs"]) == m["min_seconds"] <= m["seconds"] <= m["max_seconds"]
    # The program run is the one the plan compiled and scored.
    assert m["same_program"] is True
    rows = {r["name"]: r for r in m["rows"]}
    assert rows["aoizora (ours)"]["candidate"] == plan.candidate
    # N = 2: the plan and its best runner-up.
    assert "runner-up 1" in rows and plan.runner_ups[0]["measured"]["seconds"] > 0
    assert "runner-up 2" not in rows
    # Every scored baseline row was run, with its runs.
    scored = [b for b in plan.baselines if b["seconds"] is not None and b["device_order"]]
    assert len(scored) >= 5
    for b in scored:
        assert b["name"] in rows
        assert b["measured"]["seconds"] > 0 and len(b["measured"]["runs"]) == 2, b["name"]
        assert b["measured"]["predicted_seconds"] == b["seconds"]
    # The winner is the fastest measured row.
    fastest = min(
        (r for r in m["rows"] if r["measured_seconds"]), key=lambda r: r["measured_seconds"]
    )
    assert m["winner"]["name"] == fastest["name"]
    assert m["winner"]["seconds"] == fastest["measured_seconds"]
    assert m["plan_wins"] == (fastest["name"] == "aoizora (ours)")
    # Predictions used the calibration fixture; plan.json says which constants came from where.
    cal = plan.calibration
    assert cal["file"] == FIXTURE and cal["fixture"] is True
    assert "matmul_efficiency" in cal["from_file"] and "vpu_ops_per_cycle" in cal["from_table"]
    assert plan.stats["stage_seconds"]["measure"] > 0


def test_report_and_terminal_show_measured_and_the_winner(measured):
    out, stdout = measured
    report = (out / "report.md").read_text()
    assert "| measured step (ms) |" in report and "Winner by measurement:" in report
    assert "constants from calibration" in report and "not a measurement" in report
    assert "measured (ms)" in stdout and "Winner by measurement:" in stdout
    assert "CPU numbers, not TPU numbers" in stdout
    assert "constants from calibration" in stdout


def test_devices_that_are_not_the_slice_are_refused_before_planning(tmp_path):
    argv = [*PLAN, "--compiler", "cpu", "--measure", "1", "--out", str(tmp_path)]
    run = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env=_env(JAX_NUM_CPU_DEVICES="3")
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "aoizora plan: error: --measure with --compiler cpu needs 4 CPU devices (v5e:2x2) and "
        "the XLA CPU backend has 3 (XLA_FLAGS / JAX_NUM_CPU_DEVICES)"
    ]
    assert not (tmp_path / "plan.json").exists()
    # The TPU compiler's plan needs the slice's TPUs; this host has none.
    run = subprocess.run(
        [*PLAN, "--measure", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert run.returncode == 2
    assert "--measure needs the plan's slice (v5e:2x2: 4 'TPU v5 lite' devices)" in run.stderr
    assert "Traceback" not in run.stderr
