"""``aoizora calibrate --quick`` end to end on this host's XLA CPU backend (8 forced host
devices, in its own process as a user runs it), the alpha-beta fit, and the calibration file's
validation. The timings are CPU numbers; the tests check structure and consistency, not speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aoizora import _core
from aoizora.calibrate.calibration_file import CALIBRATION_SCHEMA, parse_calibration
from aoizora.calibrate.fit import alpha_beta, fit_constants


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "calibration.json"
    argv = [sys.executable, "-m", "aoizora.cli.main", "calibrate", "--quick", "--out", str(out)]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(out.read_text()), run.stdout, run.stderr


def test_quick_calibration_measures_every_kind_on_the_cpu_devices(calibration):
    doc, stdout, _ = calibration
    assert doc["schema"] == CALIBRATION_SCHEMA
    assert doc["platform"] == "cpu" and doc["device_count"] == 8 and doc["quick"] is True
    assert "CPU numbers" in doc["note"] and "CPU numbers" in stdout
    assert doc["topology"] is None and doc["mesh"]["shape"] == [2, 4]
    assert set(doc["versions"]) == {"jax", "jaxlib", "libtpu"} and doc["versions"]["jax"]
    kinds = {r["kind"] for r in doc["benchmarks"]}
    assert kinds == {
        "ppermute",
        "all-gather",
        "all-reduce",
        "all-to-all",
        "matmul",
        "narrow-matmul",
        "attention",
        "copy",
        "exp",
    }
    # A ppermute sweep per mesh axis; collectives over each axis and over both.
    assert {r["params"]["axis"] for r in doc["benchmarks"] if r["kind"] == "ppermute"} == {"a", "b"}
    groups = {r["params"]["group"] for r in doc["benchmarks"] if r["kind"] == "all-gather"}
    assert groups == {"a", "b", "a+b"}
    for r in doc["benchmarks"]:
        assert len(r["runs"]) == r["repeats"] >= 3
        assert 0 < r["min_seconds"] <= r["median_seconds"] <= r["max_seconds"]
        assert min(r["runs"]) == pytest.approx(r["min_seconds"])


def test_constants_are_fitted_with_their_sources_and_load_back(calibration, tmp_path):
    doc, stdout, _ = calibration
    consts = doc["constants"]
    # The CPU backend has no sourced peak: absolute constants only, efficiencies not invented.
    assert {"ici_link_one_way_bytes_per_second", "hbm_bytes_per_second"} <= set(consts)
    assert not any(name.endswith("_efficiency") for name in consts)
    assert set(consts) <= set(_core.calibratable_constants())
    for name, entry in consts.items():
        assert entry["value"] > 0 and entry["benchmark"] and entry["method"], name
        assert name in stdout
    rates = doc["derived"]["rates"]
    assert rates["matmul_flops_per_second"] > 0 and rates["transcendentals_per_second"] > 0
    # The file loads back; it is refused for a TPU slice (other hardware).
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    cal = parse_calibration(doc, str(path))
    assert cal.device_kind == "cpu" and cal.constants["hbm_bytes_per_second"] > 0
    from aoizora.calibrate import calibrated_topology

    with pytest.raises(ValueError, match="measured on 8 'cpu' devices.*not on v5e"):
        calibrated_topology("v5e:2x4", cal)


def test_alpha_beta_recovers_a_known_law():
    alpha, beta = 5e-6, 9e10
    points = [(b, alpha + b / beta) for b in (1024, 65536, 1 << 20, 1 << 26)]
    fit = alpha_beta(points)
    assert fit["alpha_seconds"] == pytest.approx(alpha, rel=1e-6)
    assert fit["beta_bytes_per_second"] == pytest.approx(beta, rel=1e-6)
    assert fit["max_relative_error"] < 1e-9
    with pytest.raises(ValueError, match="at least 2 sizes"):
        alpha_beta(points[:1])


def test_tpu_fits_use_the_sourced_peaks():
    chip = next(c for c in _core.chip_specs() if c["generation"] == "v6e")
    records = [
        {
            "benchmark": "C1-C2 ppermute sweep",
            "kind": "ppermute",
            "params": {"axis": "x"},
            "bytes_per_device": b,
            "median_seconds": 6e-6 + b / 8.7e10,
        }
        for b in (1024, 1 << 20, 1 << 26)
    ] + [
        {
            "benchmark": "C3-C4 matmul",
            "kind": "matmul",
            "params": {},
            "flops": 2 * 8192**3,
            "median_seconds": 2 * 8192**3 / 7.28e14,
        },
        {
            "benchmark": "C9 HBM copy",
            "kind": "copy",
            "params": {},
            "bytes_moved": 1e9,
            "median_seconds": 1e9 / (0.87 * 1.638e12),
        },
    ]
    consts, _ = fit_constants(records, chip, "tpu")
    assert consts["ici_link_one_way_bytes_per_second"]["value"] == pytest.approx(8.7e10, rel=1e-6)
    # Intercept 6 us minus one hop (1 us, the table's).
    assert consts["collective_fixed_latency_seconds"]["value"] == pytest.approx(5e-6, rel=1e-6)
    assert consts["matmul_efficiency"]["value"] == pytest.approx(728 / 918, rel=1e-6)
    assert consts["hbm_efficiency"]["value"] == pytest.approx(0.87, rel=1e-6)


def test_tpu7x_link_is_both_cores_rates_together():
    # Both cores of each chip send along x at once over the chip's one x link (a core axis is
    # present): each sees half the link, so the link is twice the per-transfer rate. The
    # die-to-die link (the core axis) is one transfer per link.
    chip = next(c for c in _core.chip_specs() if c["generation"] == "tpu7x")
    assert chip["cores_per_chip"] == 2

    def sweep(axis, rate):
        return [
            {
                "benchmark": "C1-C2 ppermute sweep",
                "kind": "ppermute",
                "params": {"axis": axis},
                "bytes_per_device": b,
                "median_seconds": 5e-6 + b / rate,
            }
            for b in (1024, 1 << 20, 1 << 26)
        ]

    consts, _ = fit_constants(sweep("x", 4.5e10) + sweep("core", 2e11), chip, "tpu")
    assert consts["ici_link_one_way_bytes_per_second"]["value"] == pytest.approx(9e10, rel=1e-6)
    assert "2 cores" in consts["ici_link_one_way_bytes_per_second"]["method"]
    assert consts["die_to_die_one_way_bytes_per_second"]["value"] == pytest.approx(2e11, rel=1e-6)
    # Without a core axis (one core per chip in the mesh), no sharing.
    consts, _ = fit_constants(sweep("x", 4.5e10), chip, "tpu")
    assert consts["ici_link_one_way_bytes_per_second"]["value"] == pytest.approx(4.5e10, rel=1e-6)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="x"), "field schema"),
        (lambda d: d.update(device_count=0), "field device_count"),
        (lambda d: d["constants"].update(warp_speed={"value": 1}), "constants.warp_speed"),
        (
            lambda d: d["constants"].update(matmul_efficiency={"value": -1}),
            "constants.matmul_efficiency.value",
        ),
    ],
)
def test_a_bad_calibration_file_names_the_field(mutate, message):
    doc = {
        "schema": CALIBRATION_SCHEMA,
        "device_kind": "TPU v5 lite",
        "platform": "tpu",
        "device_count": 8,
        "constants": {"matmul_efficiency": {"value": 0.6, "benchmark": "C3-C4 matmul"}},
    }
    mutate(doc)
    with pytest.raises(ValueError, match=f"calibration f.json: .*{message}"):
        parse_calibration(doc, "f.json")


# -- --calibration on predict and validate (the fixture is hand-written, not a measurement) ----

FIXTURE = str(Path(__file__).parent / "data" / "calibration-v5e-fixture.json")
TINY = ["--model", "wan2.1-tiny", "--resolution", "tiny", "--frames", "9"]
PREDICT = ["predict", *TINY, "--topology", "v5e:2x2", "--compiler", "cpu"]


def _predict(capsys, tmp_path, *extra):
    from aoizora.cli.main import main

    argv = [*PREDICT, "--strategy", "cfg=2,ulysses=2", "--cache-dir", str(tmp_path), *extra]
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_a_calibration_changes_predictions_and_every_output_says_so(capsys, tmp_path):
    rc, table_json, _ = _predict(capsys, tmp_path, "--json")
    assert rc == 0
    rc, cal_json, _ = _predict(capsys, tmp_path, "--json", "--calibration", FIXTURE)
    assert rc == 0
    table, cal = json.loads(table_json), json.loads(cal_json)
    assert table["calibration"]["file"] is None
    assert cal["calibration"]["file"] == FIXTURE and cal["calibration"]["fixture"] is True
    assert set(cal["calibration"]["from_file"]) == {
        "ici_link_one_way_bytes_per_second",
        "collective_fixed_latency_seconds",
        "matmul_efficiency",
        "hbm_efficiency",
    }
    assert len(cal["calibration"]["from_table"]) == len(_core.calibratable_constants()) - 4
    # Slower links, more latency, lower efficiencies: the same program predicts slower.
    assert cal["seconds"] > table["seconds"]
    assert cal["breakdown"]["compute_seconds"] > table["breakdown"]["compute_seconds"]
    rc, text, _ = _predict(capsys, tmp_path, "--calibration", FIXTURE)
    assert rc == 0 and "constants from calibration" in text and "not a measurement" in text
    rc, text, _ = _predict(capsys, tmp_path)
    assert rc == 0 and "constants: the sourced table" in text


def test_a_calibration_of_other_devices_is_refused_with_exit_2(capsys, tmp_path, calibration):
    doc, _, _ = calibration
    cpu = tmp_path / "cpu.json"
    cpu.write_text(json.dumps(doc))
    rc, _, err = _predict(capsys, tmp_path, "--calibration", str(cpu))
    assert rc == 2 and "measured on 8 'cpu' devices" in err and "v5e:2x2" in err
    assert len(err.strip().splitlines()) == 1
    rc, _, err = _predict(capsys, tmp_path, "--calibration", str(tmp_path / "missing.json"))
    assert rc == 2 and "no such calibration file" in err


def test_validate_uses_the_calibration_on_its_generation_only():
    from aoizora.calibrate import load_calibration
    from aoizora.cli.validate import evaluate

    table = {(r["id"], r["setup"]): r["predicted"] for r in evaluate()["points"]}
    report = evaluate(load_calibration(FIXTURE))
    cal = {(r["id"], r["setup"]): r["predicted"] for r in report["points"]}
    assert "v5e slices: constants from calibration" in report["constants"]
    v1 = next(k for k in table if k[0] == "V1")
    assert cal[v1] > table[v1]  # v5e all-gather: half the link bandwidth
    # SimGrid's column reads the same calibrated links: the lone v5e permute's rate drops too.
    sim_table = {(r["id"], r["setup"]): r["simulated"] for r in evaluate()["points"]}
    sim_cal = {(r["id"], r["setup"]): r["simulated"] for r in report["points"]}
    solo = next(k for k in table if k[0] == "V5" and "alone: rate" in k[1])
    assert sim_cal[solo] < 0.75 * sim_table[solo]
    for key in table:
        if key[0] in ("C3", "C5"):  # TPU7x points keep the table
            assert cal[key] == table[key]
