"""What a person sees: progress as a few plain lines when stderr is not a terminal, libtpu's
native stderr kept in a log while Python's messages still reach the user, tables with whole
labels when stdout is a pipe, and ``aoizora plan`` defaulting to the main job's top-K. (The full
plan with its output piped: tests/test_plan_e2e.py.)"""

import subprocess
import sys
import textwrap

from aoizora.cli.main import build_parser
from aoizora.planner.progress import Progress


def test_plain_progress_is_a_few_lines_per_stage(capsys):
    with Progress(enabled=True, plain=True) as p:
        with p.stage("lower+Q1", total=78) as tick:
            for i in range(78):
                tick(f"candidate {i}")
        with p.stage("compile", total=2) as tick:
            tick("a: ok")
            tick("c: ok")
        with p.stage("compile", total=1) as tick:  # another batch: counts go on
            tick("b: ok")
    lines = capsys.readouterr().err.splitlines()
    lowering = [line for line in lines if line.startswith("lower+Q1")]
    assert len(lowering) == 2  # start and end (the run is shorter than one interval)
    assert lowering[0] == "lower+Q1: 78 to go"
    assert lowering[1].startswith("lower+Q1: 78/78 in ") and lowering[1].endswith("done")
    compiles = [line for line in lines if line.startswith("compile")]
    assert compiles[-1].startswith("compile: 3/3 in ")
    assert set(p.stage_seconds) == {"lower+Q1", "compile"}


def test_plain_progress_says_time_left(monkeypatch, capsys):
    import aoizora.planner.progress as progress

    monkeypatch.setattr(progress, "PLAIN_INTERVAL_S", 0.0)
    with Progress(enabled=True, plain=True) as p, p.stage("compile", total=4) as tick:
        tick("x: ok")
    first = capsys.readouterr().err.splitlines()[1]
    assert first.startswith("compile: 1/4 in ") and "left (last: x: ok)" in first


def test_disabled_progress_is_silent(capsys):
    with Progress(enabled=False) as p, p.stage("lower+Q1", total=3) as tick:
        tick("a")
    p.log("hello")
    assert capsys.readouterr().err == ""


def test_native_stderr_goes_to_the_log_and_python_stderr_stays(tmp_path):
    """Descriptor 2 (where libtpu's C++ writes) lands in the log; sys.stderr does not."""
    log = tmp_path / "logs" / "x.log"
    code = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from aoizora.cli._native_log import native_stderr_to
        with native_stderr_to(Path({str(log)!r})) as path:
            os.write(2, b"TPU_WORKER_HOSTNAMES native noise\\n")
            print("python message", file=sys.stderr)
        os.write(2, b"after\\n")
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "TPU_WORKER_HOSTNAMES" not in run.stderr
    assert "python message" in run.stderr and "after" in run.stderr
    assert log.read_text() == "TPU_WORKER_HOSTNAMES native noise\n"


def test_native_log_falls_back_when_the_log_cannot_be_opened(tmp_path):
    from aoizora.cli._native_log import native_stderr_to

    blocker = tmp_path / "file"
    blocker.write_text("")
    with native_stderr_to(blocker / "logs" / "x.log") as path:
        assert path is None


def test_plan_defaults_to_top_k_and_logs_under_out():
    from aoizora.cli._native_log import log_dir

    args = build_parser().parse_args(["plan"])
    assert args.mode == "topk" and args.k == 4 and not args.explain
    assert args.native_log
    assert str(log_dir(args)) == "aoizora-out/logs"
    assert build_parser().parse_args(["plan", "--mode", "exact"]).mode == "exact"
    args = build_parser().parse_args(["predict", "--strategy", "ring=8", "--cache-dir", "/c"])
    assert str(log_dir(args)) == "/c/logs"
    assert not getattr(build_parser().parse_args(["topo", "v5e:2x2"]), "native_log", False)


def test_tables_keep_whole_labels_in_a_pipe():
    """A table printed by the CLI's console into a pipe is never cut to 80 columns."""
    code = textwrap.dedent(
        """
        from rich.table import Table
        from aoizora.cli._common import console
        t = Table(title="t")
        for col in ("solution", "candidate", "note"):
            t.add_column(col)
        t.add_row("maxdiffusion-readme", "cfg=2,ring=4,ulysses=4|w:cfg,ring,ulysses", "n" * 200)
        console().print(t)
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "cfg=2,ring=4,ulysses=4|w:cfg,ring,ulysses" in run.stdout
    assert "n" * 200 in run.stdout and "\u2026" not in run.stdout


def _outcome():
    """A plan with every kind of row: long labels, a note, a recipe that cannot run."""
    from aoizora.plan import Plan
    from aoizora.planner.pipeline import PlanOutcome

    def row(name, cand, placement, seconds, note="", cfg="parallel", existing=False):
        return {
            "name": name,
            "candidate": cand,
            "placement": placement,
            "seconds": seconds,
            "fits": None if seconds is None else True,
            "note": note,
            "existing_solution": existing,
            "cfg": cfg,
            "breakdown": {"compute_seconds": seconds or 0.0, "exposed_comm_seconds": 0.0},
        }

    long = "cfg=2,ring=4,ulysses=4|w:cfg,ring,ulysses"
    baselines = [
        row("alpha-beta", long, "jax.make_mesh", 1.2),
        row("ours+id-order", long, "device id order", 1.1),
        row(
            "maxdiffusion-readme",
            None,
            "mesh_utils.create_device_mesh(allow_split_physical_axes=False)",
            None,
            note="cannot run: its mesh (data=2, fsdp=1, context=16, tensor=1) cannot be built",
            existing=True,
        ),
        row("wan-official", "ring=4,ulysses=8|w:ring,ulysses", "device id order", 1.5,
            note="CFG as two sequential passes", cfg="sequential", existing=True),
    ]  # fmt: skip
    stats = {
        "candidates": 192, "lowered": 192, "pruned": 188, "compiled": 4,
        "compiled_for_baselines": 2, "placements_scored": 99, "wall_seconds": 1.0, "mode": "topk",
    }  # fmt: skip
    plan = Plan(
        "wan2.1-t2v-14b", "720p", 81, "v5e:4x8", "tpu-aot", long, ["cfg", "ring", "ulysses"],
        [2, 4, 4], ["cfg", "ring", "ulysses"], [[0, 0, 0]] * 32, list(range(32)),
        {"seconds": 1.0, "breakdown": {"compute_seconds": 0.9, "exposed_comm_seconds": 0.1}},
        baselines=baselines, stats=stats, attention="splash", compute_source="compiler",
    )  # fmt: skip
    return PlanOutcome(plan, [], baselines, stats)


def test_comparison_table_at_any_width():
    from rich.console import Console

    from aoizora.cli._common import PIPE_WIDTH
    from aoizora.planner.report import print_explanation, print_table

    outcome = _outcome()
    for width in (40, 80, 120, PIPE_WIDTH):
        c = Console(width=width, record=True, force_terminal=False)
        print_table(outcome, c)
        print_explanation(outcome, c)
        text = c.export_text()
        assert "\u2026" not in text, width  # folded, never cut
        assert all(len(line) <= width for line in text.splitlines()), width
        if width >= 80:  # the compact layout fits labels whole from 80 columns on
            assert "cfg=2,ring=4,ulysses=4|w:cfg,ring,ulysses" in text, width
            assert "maxdiffusion-readme" in text and "cannot run" in text
    wide = text
    assert "| make_mesh" not in wide and "make_mesh = jax.make_mesh" in wide
    assert "Best existing solution wan-official" in wide


def test_a_stage_without_time_left(monkeypatch, capsys):
    import aoizora.planner.progress as progress

    monkeypatch.setattr(progress, "PLAIN_INTERVAL_S", 0.0)
    with Progress(enabled=True, plain=True) as p, p.stage("baselines", 5, eta=False) as tick:
        tick("alpha-beta")
    assert "left" not in capsys.readouterr().err
    live = Progress(enabled=True, plain=False)
    with live, live.stage("baselines", 5, eta=False) as tick:  # the live display renders
        tick("alpha-beta")
