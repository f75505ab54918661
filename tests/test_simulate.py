"""The SimGrid evaluator (cpp/aoizora/sim, docs/simgrid.md): bindings, ``aoizora simulate`` and
``aoizora collective --simulate``. Times are simulator predictions, checked against hand-worked
values on the platform's W_1 and hop latency. These tests need SimGrid (scripts/bootstrap.sh
installs it); a core built without it fails them, never skips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import aoizora
from aoizora.cli.main import main

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
ALL_GATHER = str(DATA / "all_gather.tpu.compiled.hlo")  # 8 partitions, mesh (2, 4)
CALIBRATION_FIXTURE = Path(__file__).parent / "data" / "calibration-v5e-fixture.json"
PERMUTE = str(DATA / "permute.tpu.compiled.hlo")  # ring i -> i+1 over model, mesh (2, 4)
V = 64 * 2**20


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_core_is_built_with_simgrid():
    assert aoizora.core().simgrid_available()


def test_platform_links_and_routes():
    core = aoizora.core()
    assert core.Simulator("v5e:2x4").num_links == 20
    assert core.Simulator("v5e:4x4").num_links == 48
    torus = core.Simulator("v5p:4x4x4")
    assert torus.num_links == 384
    assert torus.route_hops(0, 3) == 1  # x 0 -> 3 wraps round
    assert core.Simulator("v5e:4x4").route_hops(0, 15) == 6  # (0,0) -> (3,3), open


def test_shared_link_halves_each_permute():
    core = aoizora.core()
    topo = core.parse_slice_spec("v5e:4x4")
    sim = core.Simulator(topo)
    shared = sim.simulate_collective("collective-permute", V, pairs=[(0, 2), (1, 3)])
    disjoint = sim.simulate_collective("collective-permute", V, pairs=[(0, 1), (2, 3)])
    w1 = core.CommModel(topo).cost("collective-permute", V, pairs=[(0, 1)])
    # Bulk time of one permute alone, from the comm model's bandwidth part.
    alone = w1["bulk_seconds"]
    assert shared.network_seconds == pytest.approx(2e-6 + 2 * alone, rel=1e-6)
    assert disjoint.network_seconds == pytest.approx(1e-6 + alone, rel=1e-6)
    assert shared.label == "simulator prediction (SimGrid)"


def test_collective_simulate_prints_both(capsys):
    argv = ["collective", "--topology", "v5e:4x4", "--kind", "all-gather", "--bytes", str(V)]
    out = _json(capsys, [*argv, "--groups", "[[0,1,2,3]]", "--simulate", "--json"])
    sim = out["simulated"]
    # Open line of 4: the busiest link is busy from the first shard's arrival (1 hop) until 3V/4
    # has crossed; the model charges 3 hops.
    assert out["seconds"] - sim["seconds"] == pytest.approx(2e-6, rel=1e-4)
    assert sim["flows"] == 6
    assert main([*argv, "--groups", "[[0,1,2,3]]", "--simulate"]) == 0
    assert "SimGrid" in capsys.readouterr().out


def test_simulate_step_best_and_identity(capsys):
    base = ["simulate", "--hlo", ALL_GATHER, "--topology", "v5e:2x4", "--mesh", "2,4", "--json"]
    best = _json(capsys, base)
    assert best["label"] == "simulator prediction (SimGrid)"
    assert best["comm_seconds"] > 0
    assert best["seconds"] == pytest.approx(
        best["compute_seconds"] + best["exposed_comm_seconds"], rel=1e-12
    )
    assert best["model_seconds"] > 0
    ids = _json(capsys, [*base, "--placement", json.dumps(list(range(8)))])
    assert ids["device_ids"] == list(range(8))
    coords = _json(capsys, [*base, "--placement", json.dumps(ids["device_order"])])
    assert coords["seconds"] == ids["seconds"]


def test_placement_changes_the_simulated_permute_step(capsys):
    base = ["simulate", "--hlo", PERMUTE, "--topology", "v5e:2x4", "--mesh", "2,4", "--json"]
    near = _json(capsys, [*base, "--placement", "[0,2,4,6,1,3,5,7]"])
    far = _json(capsys, [*base, "--placement", "[0,1,2,3,4,5,6,7]"])
    assert near["comm_seconds"] != far["comm_seconds"]


def test_calibration_changes_the_simulated_links(capsys):
    # The fixture halves the link bandwidth and multiplies the fixed latency by five: SimGrid's
    # links and Q2 both read the calibrated constants, and the report says where they came from.
    base = ["simulate", "--hlo", PERMUTE, "--topology", "v5e:2x4", "--mesh", "2,4", "--json"]
    base += ["--placement", "[0,1,2,3,4,5,6,7]"]
    table = _json(capsys, base)
    cal = _json(capsys, [*base, "--calibration", str(CALIBRATION_FIXTURE)])
    assert table["calibration"]["file"] is None
    assert "ici_link_one_way_bytes_per_second" in cal["calibration"]["from_file"]
    assert cal["comm_seconds"] > 1.5 * table["comm_seconds"]
    assert cal["model_comm_seconds"] > 1.5 * table["model_comm_seconds"]
    # Compute comes from libtpu's cycle estimates (the default source): efficiencies not used.
    assert cal["compute_seconds"] == table["compute_seconds"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--placement", "[0,1,2]"], "3 entries"),
        (["--placement", "[0,1,2,3,4,5,6,99]"], "99"),
        (["--placement", "nonsense"], "--placement"),
        (["--topology", "v5e:3x3"], "3x3"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, extra, needle):
    argv = ["simulate", "--hlo", ALL_GATHER, "--topology", "v5e:2x4", "--mesh", "2,4", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err


def test_validate_has_simgrid_rows_for_v5_m1_m2(capsys):
    report = _json(capsys, ["validate", "--json", "--no-end-to-end"])
    assert "SimGrid" in report["simulated_label"]
    sim = {(p["id"], p["setup"]): p for p in report["points"] if p["simulated"] is not None}
    ids = {i for i, _ in sim}
    assert {"V5", "M1", "M2"} <= ids
    for p in sim.values():
        assert p["simulated_relative_error"] == pytest.approx(p["simulated"] / p["measured"] - 1)
    # Max-min sharing of one link: each of two permutes gets half (V5 measured 0.66).
    v5 = next(p for (i, s), p in sim.items() if i == "V5" and "sharing" in s)
    assert v5["simulated"] == pytest.approx(0.5, rel=1e-3)
    # M1/M2 at 67 MB: both core groups share each chip's links, on the platform and in the comm
    # model (link_loads.h); both land within 2% of the measured time and within 1% of each other
    # (with one set of links per core the comm model was ~2x fast).
    m67 = [p for p in sim.values() if p["id"] in ("M1", "M2") and "67.1" in p["setup"]]
    assert len(m67) == 2
    for p in m67:
        assert abs(p["simulated_relative_error"]) < 0.02
        assert abs(p["relative_error"]) < 0.02
        assert p["predicted"] == pytest.approx(p["simulated"], rel=0.01)
