"""`aoizora collective` and `aoizora validate`: JSON keys, closed forms, bad input."""

import json

import pytest

from aoizora.cli.main import main

W1_V5E = 4.5e10  # SB one-way link bandwidth of v5e


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def collective(capsys, *extra):
    return run_json(capsys, "collective", "--json", *extra)


def test_ring_all_gather_on_a_wrapped_row(capsys):
    v = 32e6
    r = collective(
        capsys, "--topology", "v5e:16x16", "--kind", "all-gather", "--bytes", str(v),
        "--groups", json.dumps([list(range(16))]),
    )  # fmt: skip
    assert r["seconds"] == pytest.approx(4e-6 + 8e-6 + v / (2 * W1_V5E), rel=1e-12)
    assert r["bottleneck_link"]["bytes"] == pytest.approx(v / 2)
    assert "model prediction" in r["label"]


def test_iota_groups_equal_json_groups(capsys):
    base = ["--topology", "v5e:2x4", "--kind", "all-reduce", "--bytes", "8e6"]
    iota = collective(capsys, *base, "--groups", "[4,2]<=[2,4]T(1,0)")
    listed = collective(capsys, *base, "--groups", "[[0,4],[1,5],[2,6],[3,7]]")
    assert iota["seconds"] == listed["seconds"]
    # pairs {0,4},{2,6} are 2 hops apart along y and share the link (0,1)->(0,2)
    assert iota["hops"] == 2 and iota["passes"] == 2


def test_placement_changes_the_prediction(capsys):
    base = ["--topology", "v5e:2x4", "--kind", "all-gather", "--bytes", "8e6"]
    base += ["--groups", "[[0,1],[2,3],[4,5],[6,7]]"]
    near = collective(capsys, *base)
    far = collective(capsys, *base, "--placement", "[0,6,1,7,2,4,3,5]")
    assert far["seconds"] > near["seconds"]
    assert near["bulk_seconds"] == pytest.approx(4e6 / W1_V5E)


def test_permute_pairs_and_links(capsys):
    v = 8 * 128 * 8192 * 2
    r = collective(
        capsys, "--topology", "v5e:4x4", "--kind", "collective-permute", "--bytes", str(v),
        "--pairs", "[[0,15]]",
    )  # fmt: skip
    assert r["bulk_seconds"] == pytest.approx(v / (2 * W1_V5E))
    assert r["hops"] == 6
    assert sum(link["bytes"] for link in r["link_loads"]) == pytest.approx(6 * v)


def test_human_output_is_labelled(capsys):
    argv = ["collective", "--topology", "v5e:2x4", "--kind", "all-to-all", "--bytes", "1e6"]
    assert main([*argv, "--groups", "[[0,1,2,3,4,5,6,7]]", "--links"]) == 0
    assert "model prediction" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--bytes", "-5", "--groups", "[[0,1]]"], "--bytes must be finite and >= 0"),
        (["--bytes", "abc", "--groups", "[[0,1]]"], "--bytes must be a number"),
        (["--bytes", "1", "--groups", "[[0,1],[1,2]]"], "device id 1 appears twice"),
        (["--bytes", "1", "--groups", "[[0,8]]"], "device id 8"),
        (["--bytes", "1", "--groups", "[[0,1"], "--groups must be JSON"),
        (["--bytes", "1", "--groups", "[0,1]"], "list of lists"),
        (["--bytes", "1", "--groups", "[3,2]<=[8]"], "iota"),
        (["--bytes", "1", "--groups", "[[0,1]]", "--placement", "[0,0]"], "same device"),
        (["--bytes", "1"], "needs --groups"),
    ],
)
def test_bad_input_exits_2(capsys, extra, message):
    argv = ["collective", "--topology", "v5e:2x4", "--kind", "all-gather", *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_topology_and_kind_exit_2(capsys):
    argv = ["collective", "--kind", "all-gather", "--bytes", "1", "--groups", "[[0,1]]"]
    assert main([*argv, "--topology", "v5e:3x3"]) == 2
    assert "valid shapes" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["collective", "--topology", "v5e:2x4", "--kind", "gather", "--bytes", "1"])
    assert e.value.code == 2


def test_validate_json(capsys):
    report = run_json(capsys, "validate", "--json", "--no-end-to-end")
    assert "end_to_end" not in report  # the whole-step section: tests/test_end_to_end.py
    assert "model prediction" in report["label"]
    ids = {p["id"] for p in report["points"]}
    assert {"V1", "V2", "V3", "V5", "C1", "C2", "V4", "V9"} <= ids
    for p in report["points"]:
        if p["role"] in ("held-out", "fitted"):
            assert p["predicted"] is not None
            assert p["relative_error"] == pytest.approx(p["predicted"] / p["measured"] - 1)
        if p["role"] == "out of scope":
            assert p["predicted"] is None and p["note"]
    # The table's fixed latency is the least-squares value on its fitted points (rounded).
    fit = report["fits"]["collective_fixed_latency_seconds"]
    assert fit["least_squares_on_fitted_points"] == pytest.approx(fit["table"], rel=0.05)
    # V1 (held out): the model sits between SB's no-wrap prediction (560 us) and the measurement.
    v1 = next(p for p in report["points"] if p["id"] == "V1")
    assert 560e-6 < v1["predicted"] < v1["measured"]


def test_validate_human_output(capsys):
    assert main(["validate", "--no-end-to-end"]) == 0
    out = capsys.readouterr().out
    assert "held-out" in out and "model prediction" in out
