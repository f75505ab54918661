"""``aoizora plan`` end to end on the tiny Wan config: real lowering, Q1, TPU AOT compiles of
the survivors, placement ranking, baselines, plan.json; then the plan applied on CPU devices runs
the model and equals the one-device result. The plan runs as a user runs it, a separate process
with its output piped: no libtpu noise, no cut labels."""

import json
import subprocess
import sys

import jax
import numpy as np
import pytest
from jax.sharding import Mesh

import aoizora
from aoizora.cli.main import main
from aoizora.compiler import env
from aoizora.models import Candidate
from aoizora.models.wan.step import step_concrete

pytestmark = pytest.mark.skipif(not env.libtpu_available(), reason="libtpu not installed")

MODEL, RES, FRAMES, TOPOLOGY = "wan2.1-tiny", "tiny", 9, "v5e:2x2"


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """``aoizora plan`` with no --mode (top-K is the default) in its own process, stdout and
    stderr piped; the plan's files, stdout and stderr."""
    out = tmp_path_factory.mktemp("plan")
    cache = tmp_path_factory.mktemp("cache")
    argv = [
        sys.executable,
        "-m",
        "aoizora.cli.main",
        "plan",
        "--model",
        MODEL,
        "--resolution",
        RES,
        "--frames",
        str(FRAMES),
        "--topology",
        TOPOLOGY,
        "--k",
        "2",
        "--workers",
        "2",
        "--cache-dir",
        str(cache),
        "--out",
        str(out),
        "--explain",
    ]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    out.joinpath("stdout.txt").write_text(run.stdout)
    out.joinpath("stderr.txt").write_text(run.stderr)
    return out, cache


LIBTPU_NOISE = ("TPU_WORKER_HOSTNAMES", "Failed to find host bounds", "Source Location Trace")


def test_piped_output_is_whole_and_quiet(planned):
    out, _ = planned
    stdout, stderr = (out / "stdout.txt").read_text(), (out / "stderr.txt").read_text()
    for noise in LIBTPU_NOISE:
        assert noise not in stdout and noise not in stderr, noise
    # libtpu's start-up messages went to the log, not away.
    assert "TPU_WORKER_HOSTNAMES" in (out / "logs" / "plan.log").read_text()
    # Full labels when stdout is not a terminal: every candidate and placement, uncut.
    assert "\u2026" not in stdout
    obj = json.loads((out / "plan.json").read_text())
    assert obj["candidate"] in stdout
    for b in obj["baselines"]:
        assert b["name"] in stdout and b["placement"] in stdout
        if b["candidate"]:
            assert b["candidate"] in stdout
    assert obj["stats"]["mode"] == "topk"  # the plain command is the main job's top-K
    # --explain: why the plan wins, in words, also in report.md.
    assert "Why this plan" in stdout and "Runner-up" in stdout
    assert "## Why this plan" in (out / "report.md").read_text()
    # Progress: a few plain lines per stage (one per interval on a busy host), not one per
    # candidate.
    lowering = [line for line in stderr.splitlines() if line.startswith("lower+Q1")]
    assert 2 <= len(lowering) <= obj["stats"]["candidates"] // 2, lowering


def test_plan_json_has_the_documented_fields(planned):
    out, _ = planned
    obj = json.loads((out / "plan.json").read_text())
    assert obj["compiler"].startswith("tpu-aot")
    # What users run on TPU, and where the compute came from (docs/fidelity.md).
    assert obj["attention"] == "splash"
    assert obj["compute_source"] == "compiler"
    by_source = obj["predicted"]["breakdown"]["compute_seconds_by_source"]
    assert by_source["compiler"] > 0 and by_source["roofline"] > 0
    assert obj["predicted"]["seconds"] > 0
    assert "model prediction" in obj["predicted"]["note"] or "Predicted" in obj["predicted"]["note"]
    assert len(obj["device_order"]) == 4 and len(obj["device_ids"]) == 4
    stats = obj["stats"]
    for key in ("candidates", "lowered", "compiled", "wall_seconds", "placements_scored"):
        assert key in stats
    assert stats["lowered"] == stats["candidates"] > 2
    assert stats["compiled"] == 2  # topk with k=2
    # Every program (candidates and recipes' variants) lowered once in the planner's process:
    # the compile's cache key reuses the Q1 lowering.
    assert stats["lowerings"] == stats["programs_lowered"] >= stats["candidates"]
    # Each compiled module parsed once per plan (ranking, scoring the baselines' placements).
    assert stats["compiled_hlo_parses"] == stats["programs_ranked"] >= stats["compiled"]
    names = [b["name"] for b in obj["baselines"]]
    assert names == [
        "alpha-beta",
        "ours+make_mesh",
        "ours+create_device_mesh",
        "ours+id-order",
        "maxdiffusion-default",
        "maxdiffusion-readme",
        "wan-official",
    ]
    for b in obj["baselines"]:
        for key in ("seconds", "candidate", "placement", "note", "existing_solution"):
            assert key in b
        # On v5e:2x2 every recipe runs, and the plan is never slower than any of them.
        assert b["seconds"] >= obj["predicted"]["seconds"] * (1 - 1e-12), b["name"]
    rows = {b["name"]: b for b in obj["baselines"]}
    assert rows["wan-official"]["cfg"] == "sequential"
    assert rows["wan-official"]["candidate"] == "ulysses=4|w:ulysses"  # 4 heads, 4 devices
    assert rows["maxdiffusion-default"]["candidate"] == "kv_gather=4|w:kv_gather"
    assert rows["maxdiffusion-readme"]["candidate"] == "cfg=2,kv_gather=2|w:kv_gather"
    existing = {n for n, b in rows.items() if b["existing_solution"]}
    assert existing == {"maxdiffusion-default", "maxdiffusion-readme", "wan-official"}
    # Ours is the best placement of the best compiled candidate: placing that same candidate
    # with jax.make_mesh can only be slower or equal.
    ablation = next(b for b in obj["baselines"] if b["name"] == "ours+make_mesh")
    assert ablation["candidate"] == obj["candidate"]
    assert ablation["seconds"] >= obj["predicted"]["seconds"] * (1 - 1e-12)
    assert (out / "report.md").read_text().startswith("# Plan:")
    assert "candidate,status,q1_seconds" in (out / "candidates.csv").read_text()
    assert (out / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_applied_plan_runs_the_model_like_one_device(planned):
    out, _ = planned
    plan = aoizora.load_plan(out / "plan.json")
    cand = Candidate.parse(plan.candidate)
    cpu = jax.devices("cpu")
    m = aoizora.mesh(plan, cpu)  # CPU devices carry no coordinates: matched by device id
    assert m.axis_names == tuple(plan.axis_names)
    fn, args = step_concrete(MODEL, RES, FRAMES, cand, m, seed=0, dtype="float32")
    got = np.asarray(fn(*args))
    one = Candidate.parse("")
    fn1, args1 = step_concrete(
        MODEL, RES, FRAMES, one, Mesh(np.array(cpu[:1]).reshape(()), ()), seed=0, dtype="float32"
    )
    want = np.asarray(fn1(*args1))
    # Same tolerance as tests/test_strategies.py: reduction order only.
    assert np.max(np.abs(got - want)) <= 5e-5 * np.max(np.abs(want))


def test_predict_scores_one_candidate(planned, capsys):
    _, cache = planned
    rc = main(
        [
            "predict",
            "--model",
            MODEL,
            "--resolution",
            RES,
            "--frames",
            str(FRAMES),
            "--topology",
            TOPOLOGY,
            "--strategy",
            "cfg=2,ulysses=2",
            "--placement",
            "jax",
            "--cache-dir",
            str(cache),
            "--json",
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["candidate"] == "cfg=2,ulysses=2"
    assert out["placement"] == "jax.make_mesh"
    assert out["best_placement_seconds"] <= out["seconds"]
    assert out["seconds"] > 0
    assert out["attention"] == "splash" and out["compute_source"] == "compiler"
    b = out["breakdown"]
    assert b["compute_seconds"] + b["exposed_comm_seconds"] == pytest.approx(out["seconds"])
    assert set(b["compute_seconds_by_source"]) == {"compiler", "roofline"}
    assert b["compute_seconds_by_source"]["compiler"] == pytest.approx(b["compute_seconds"])
    # The roofline source on the same (cached) compile: same program, other compute.
    rc = main(
        ["predict", "--model", MODEL, "--resolution", RES, "--frames", str(FRAMES)]
        + ["--topology", TOPOLOGY, "--strategy", "cfg=2,ulysses=2", "--compute", "roofline"]
        + ["--cache-dir", str(cache), "--json"]
    )
    assert rc == 0
    roof = json.loads(capsys.readouterr().out)
    assert roof["compute_source"] == "roofline"
    assert roof["breakdown"]["compute_seconds"] == pytest.approx(
        b["compute_seconds_by_source"]["roofline"]
    )


def test_plan_rejects_bad_input(capsys):
    assert main(["plan", "--model", "wan9", "--topology", TOPOLOGY]) == 2
    assert "wan9" in capsys.readouterr().err
    assert main(["plan", "--model", MODEL, "--resolution", RES, "--topology", "v5e:3x3"]) == 2
    assert "3x3" in capsys.readouterr().err
    assert main(["plan", "--model", MODEL, "--resolution", RES, "--frames", "8"]) == 2
    assert "got 8" in capsys.readouterr().err
    assert main(["plan", "--model", MODEL, "--resolution", RES, "--k", "0", "--mode", "topk"]) == 2
    assert "--k must be >= 1, got 0" in capsys.readouterr().err
