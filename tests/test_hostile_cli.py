"""Every ``aoizora`` command under hostile arguments: exit 2 (bad input) or 1 (a fault) with one
line naming the value or the file, never a traceback, a hang or a silently wrong answer. The
reproducers of issue 13 are here; none compiles anything."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aoizora.cli.main import main

BIG = "99999999999999999999"  # > int64
DATA = Path(__file__).parent / "data" / "hlo" / "generated"
HLO = str(DATA / "mlp_train.tpu.compiled.hlo")  # 8 partitions, mesh (2, 4)
GROUPS = ["collective", "--topology", "v5e:2x4", "--kind", "all-gather", "--bytes", "8"]
RANK = ["rank", "--hlo", HLO, "--topology", "v5e:2x4", "--no-jax"]
CANDS = ["model", "candidates", "--model", "wan2.1-t2v-1.3b"]
INFO = ["model", "info", "--model", "wan2.1-t2v-1.3b", "--resolution", "480p"]

# A 4-partition module partitioned over a (2, 2) mesh with its axes transposed.
MODULE_2X2 = """HloModule m, is_scheduled=true, num_partitions=4

%add (x: f32[], y: f32[]) -> f32[] {
  %x = f32[] parameter(0)
  %y = f32[] parameter(1)
  ROOT %s = f32[] add(%x, %y)
}

ENTRY %main (p: f32[4,8]) -> f32[4,8] {
  %p = f32[4,8]{1,0} parameter(0), sharding={devices=[2,2]<=[2,2]T(1,0)}
  ROOT %ar = f32[4,8]{1,0} all-reduce(%p), channel_id=1, replica_groups=[2,2]<=[4],
    use_global_device_ids=true, to_apply=%add
}
"""


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``aoizora ARGV`` run in this process."""
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse's usage errors
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def assert_rejected(capsys, argv: list[str], *needles: str, code: int = 2) -> str:
    rc, _, err = run_cli(capsys, argv)
    assert rc == code, (rc, err)
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    # One line; an HLO parse error adds the offending source line and a caret under it.
    assert len(lines) == 1 or (len(lines) == 3 and lines[2].strip() == "^"), err
    for needle in needles:
        assert needle in err, err
    return err


# -- the reproducers of issue 13 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [*GROUPS, "--groups", "[[0,99999999999999999999999]]"],
        [*GROUPS, "--groups", "[[0,1]]", "--placement", f"[0,{BIG}]"],
        [*GROUPS[:4], "collective-permute", *GROUPS[5:], "--pairs", f"[[0,{BIG}]]"],
        [*GROUPS[:4], "collective-permute", *GROUPS[5:], "--groups", f"[[{BIG},0]]"],
        [*RANK, "--mesh", "2,4", "--top", BIG],
        [*RANK, "--mesh", BIG],
        [*RANK, "--mesh", f"2,{BIG}"],
        [*RANK, "--mesh", "2,4", "--exhaustive-limit", BIG],
        ["hlo", "analyze", HLO, "--topology", "v5e:2x2", "--top", BIG],
        [*CANDS, "--chips", BIG],
        [*INFO, "--frames", "99999999999999999997"],
        ["plan", "--k", BIG],
        ["plan", "--workers", BIG],
        ["plan", "--frames", BIG],
        ["predict", "--strategy", f"ring={BIG}"],
    ],
)
def test_integers_beyond_int64_are_bad_input_naming_the_value(capsys, argv):
    big = next(a for a in argv if "9999999999" in a)
    digits = big.strip("[],").split(",")[-1].strip("[]")
    assert_rejected(capsys, argv, digits)


def test_candidates_on_absurd_chip_counts_return_at_once_and_say_why(capsys):
    for chips in (BIG, "1048576"):
        t0 = time.perf_counter()
        err = assert_rejected(capsys, [*CANDS, "--chips", chips], "at most 786,240 devices")
        assert time.perf_counter() - t0 < 5
        assert "32,760 tokens" in err and "12 heads" in err


def test_candidates_never_split_the_sequence_below_one_token(capsys):
    import json

    rc, out, _ = run_cli(capsys, [*CANDS, "--chips", "4096", "--frames", "1", "--json"])
    assert rc == 0
    for cand in json.loads(out):
        seq = 1
        for axis in ("ring", "kv_gather", "ulysses"):
            seq *= cand["degrees"].get(axis, 1)
        assert seq <= 1560  # 480p, 1 frame: 1,560 tokens
    err = assert_rejected(
        capsys, [*CANDS, "--chips", "4096", "--frames", "1", "--candidate", "cfg=2,ring=2048"]
    )
    assert "exceeds the 1,560 tokens" in err


def test_frames_are_bounded_by_the_rope_table(capsys):
    assert_rejected(capsys, [*INFO, "--frames", "4097"], "at most 4093", "RoPE")
    rc, _, _ = run_cli(capsys, [*INFO, "--frames", "4093", "--json"])
    assert rc == 0


@pytest.mark.parametrize("kind", ["all-gather", "reduce-scatter", "all-to-all"])
def test_collectives_with_unequal_groups_are_rejected(capsys, kind):
    argv = [*GROUPS[:4], kind, *GROUPS[5:], "--groups", "[[0,1],[2,3,4]]"]
    assert_rejected(capsys, argv, "groups of one size", "2, 3")


def test_rank_mesh_must_match_the_module(capsys, tmp_path):
    hlo = tmp_path / "m4.hlo"
    hlo.write_text(MODULE_2X2)
    argv = ["rank", "--hlo", str(hlo), "--topology", "v5e:2x2", "--no-jax", "--json"]
    for mesh in ("4", "1,4"):
        assert_rejected(capsys, [*argv, "--mesh", mesh], f"--mesh {mesh} does not match", "2,2")
    assert_rejected(capsys, [*argv, "--mesh", "2,4"], "does not have 4 devices")  # the product
    for mesh in ("2,2", "2,2,1"):
        rc, _, err = run_cli(capsys, [*argv, "--mesh", mesh])
        assert rc == 0, err
    # The 8-partition fixture, partitioned over (2, 4): 4,2 and 8 do not fit, 2,2,2 refines it.
    assert_rejected(capsys, [*RANK, "--mesh", "4,2"], "over a mesh 2,4")
    assert_rejected(capsys, [*RANK, "--mesh", "8"], "over a mesh 2,4")
    rc, _, err = run_cli(capsys, [*RANK, "--mesh", "2,2,2", "--json"])
    assert rc == 0, err


@pytest.mark.parametrize("command", ["hlo", "rank"])
def test_directories_fifos_and_unreadable_files_are_named(capsys, tmp_path, monkeypatch, command):
    def argv(path) -> list[str]:
        if command == "hlo":
            return ["hlo", "analyze", str(path)]
        return ["rank", "--hlo", str(path), "--topology", "v5e:2x4", "--mesh", "2,4", "--no-jax"]

    assert_rejected(capsys, argv(tmp_path), "is a directory")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert_rejected(capsys, argv(fifo), "not a regular file")  # and no hang on open
    assert_rejected(capsys, argv(tmp_path / "absent.hlo"), "no such HLO file")
    locked = tmp_path / "locked.hlo"
    locked.write_text("HloModule m")
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read fail as chmod 000 would

        def denied(self):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", denied)
    assert_rejected(capsys, argv(locked), "cannot read HLO file", "Permission denied", str(locked))


def test_json_into_a_closed_pipe_ends_quietly():
    aoizora = Path(sys.executable).parent / "aoizora"
    # tpu7x:16x24x24 lists 18,432 devices: more than a pipe buffer, so the write hits the
    # closed pipe.
    script = f"set -o pipefail; '{aoizora}' topo tpu7x:16x24x24 --json | head -1"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout == "{\n"
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr, out.stderr
    assert "BrokenPipe" not in out.stderr


# -- every command, hostile arguments ------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["topo", f"v5e:{BIG}x2"], BIG),
        (["topo", "v5e:0x0"], "0x0"),
        (["topo", "v5e:-2x4"], "-2x4"),
        (["topo", ""], "bad slice spec ''"),
        ([*GROUPS, "--groups", "[" * 50000], "--groups must be JSON"),
        ([*GROUPS, "--groups", f"[{BIG},2]<=[8]"], "number too large"),
        ([*GROUPS, "--groups", "[4,2]<=[2,4]T(1,0,7)"], "transpose"),
        ([*GROUPS, "--groups", "[[0,1.5]]"], "[[0,1.5]]"),
        ([*GROUPS, "--groups", "[[0,-1]]"], "-1"),
        ([*GROUPS, "--groups", "[[0,1]]", "--placement", "[0,0]"], "same device"),
        ([*GROUPS[:6], "nan", "--groups", "[[0,1]]"], "nan"),
        ([*GROUPS[:6], "1e999", "--groups", "[[0,1]]"], "1e999"),
        ([*GROUPS[:4], "collective-permute", *GROUPS[5:], "--pairs", "[[0,1,2]]"], "[[0,1,2]]"),
        ([*GROUPS[:4], "gather", *GROUPS[5:]], "'gather'"),
        ([*RANK, "--mesh", "2,-4"], "2,-4"),
        ([*RANK, "--mesh", ","], "','"),
        ([*RANK, "--mesh", "2,4", "--axis-names", "a,a"], "a,a"),
        ([*RANK, "--mesh", "2,4", "--top", "0"], "--top"),
        ([*RANK, "--mesh", "2,4", "--top", "x"], "'x'"),
        ([*RANK, "--mesh", "2,4", "--exhaustive-limit", "0"], "--exhaustive-limit"),
        (["rank", "--hlo", "/dev/null", "--topology", "v5e:2x4", "--mesh", "2,4"], "/dev/null"),
        (["hlo", "analyze", sys.executable], "unexpected character"),
        (["hlo", "analyze", HLO, "--topology", "v5e:2x2", "--top", "-1"], "--top"),
        (["hlo", "analyze", HLO, "--topology", "nope"], "'nope'"),
        (["hlo", "nope"], "'nope'"),
        ([*INFO, "--frames", "-3"], "got -3"),
        ([*INFO, "--frames", "1.5"], "'1.5'"),
        (["model", "info", "--model", "nope", "--resolution", "480p"], "'nope'"),
        ([*CANDS, "--chips", "-1"], "got -1"),
        ([*CANDS, "--chips", "8", "--candidate", f"ring={BIG}"], BIG),
        ([*CANDS, "--chips", "8", "--candidate", "ring=8|w:tp"], "'tp'"),
        ([*CANDS, "--chips", "8", "--candidate", "cfg=4,ring=2"], "got 4"),
        ([*CANDS, "--chips", "8", "--candidate", "|||"], "'||'"),
        (["plan", "--workers", "0"], "--workers"),
        (["plan", "--k", "0", "--mode", "topk"], "--k"),
        (["plan", "--mode", "fast"], "'fast'"),
        (["plan", "--out", "/dev/null/x"], "/dev/null/x"),
        (["plan", "--topology", f"v5e:{BIG}x1"], BIG),
        (["plan", "--model", "wan9"], "'wan9'"),
        (["predict", "--strategy", ""], "not 8"),
        (["predict", "--strategy", "cfg=2,ulysses=4", "--weights-sharded-over", "tp"], "'tp'"),
        (["predict", "--strategy", "cfg=2,ulysses=4", "--topology", "v5e:2x2"], "not 4"),
        (["predict", "--strategy", "ulysses=8"], "does not divide"),
        (["smoke", "--topology", f"v5e:{BIG}x2"], BIG),
        (["smoke", "--topology", "v9:2x2"], "'v9'"),
        (["validate", "--bogus"], "--bogus"),
        (["nope"], "'nope'"),
    ],
)
def test_every_command_rejects_hostile_arguments_in_one_line(capsys, argv, needle):
    assert_rejected(capsys, argv, needle)
