"""Calibration overrides in the core (issue 15, part 1): a Topology with calibrated chip constants
is used by every model path (Q1, rank, score, oracle, CommModel); the sourced table stays the
default; bad names and values are errors naming the key."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from aoizora import _core

DATA = Path(__file__).parent / "data" / "hlo" / "generated"
# Compiled for v5e:2x4, mesh (2, 4) (tests/test_core_objects.py).
DOT_ALL_REDUCE = (DATA / "dot_all_reduce.tpu.compiled.hlo").read_text()
MLP = (DATA / "mlp_train.tpu.compiled.hlo").read_text()
MLP_PRE = (DATA / "mlp_train.tpu.pre.hlo").read_text()
JAX_2X4 = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 3, 0], [0, 3, 0], [1, 2, 0], [0, 2, 0]]
# Four times slower links and a ten times larger fixed latency: communication costs more.
SLOW_LINKS = {
    "ici_link_one_way_bytes_per_second": 4.5e10 / 4,
    "collective_fixed_latency_seconds": 4e-5,
}
SLOW_COMPUTE = {"matmul_efficiency": 0.2, "hbm_efficiency": 0.2, "attention_efficiency": 0.1}


def test_table_is_the_default_and_overrides_change_only_their_constants():
    table = _core.Topology("v5e:2x4")
    assert table.constant_overrides == {}
    cal = _core.Topology("v5e:2x4", calibration=SLOW_LINKS)
    assert cal.constant_overrides == SLOW_LINKS
    assert cal.chip["ici_link_one_way_bytes_per_second"] == pytest.approx(1.125e10)
    assert table.chip["ici_link_one_way_bytes_per_second"] == 4.5e10
    for key, value in table.chip.items():
        if key not in SLOW_LINKS:
            assert cal.chip[key] == value, key
    # with_constants merges: a name given again takes the new value.
    again = cal.with_constants({"collective_fixed_latency_seconds": 1e-5})
    assert again.constant_overrides["collective_fixed_latency_seconds"] == 1e-5
    assert again.constant_overrides["ici_link_one_way_bytes_per_second"] == 1.125e10
    assert str(cal) == "v5e:2x4" and "1 calibrated" not in repr(table)
    assert "2 calibrated constants" in repr(cal)
    assert set(_core.calibratable_constants()) <= set(table.chip)


def test_equality_and_pickling_keep_the_calibration():
    cal = _core.Topology("v5e:2x4", calibration=SLOW_LINKS)
    assert cal != _core.Topology("v5e:2x4")
    assert cal == _core.Topology("v5e:2x4").with_constants(SLOW_LINKS)
    back = pickle.loads(pickle.dumps(cal))
    assert back == cal and back.constant_overrides == SLOW_LINKS


@pytest.mark.parametrize(
    ("constants", "message"),
    [
        ({"matmul_eff": 0.5}, "unknown chip constant 'matmul_eff'; calibratable: "),
        ({"mxu_tile": 64}, "'mxu_tile' is structural"),
        ({"hbm_efficiency": 0.0}, "'hbm_efficiency' must be positive, got 0"),
        ({"ici_hop_latency_seconds": -1e-6}, "'ici_hop_latency_seconds' must be positive"),
        ({"matmul_efficiency": 1.5}, "'matmul_efficiency' is a fraction of peak"),
        ({"die_to_die_one_way_bytes_per_second": 1e11}, "does not apply to v5e"),
        ({"attention_efficiency": float("inf")}, "'attention_efficiency' must be positive"),
    ],
)
def test_bad_constants_name_the_key(constants, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        _core.Topology("v5e:2x4", calibration=constants)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        _core.Topology("v5e:2x4").with_constants(constants)


def test_a_value_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError):
        _core.Topology("v5e:2x4", calibration={"matmul_efficiency": "fast"})


def test_every_model_path_reads_the_calibrated_links():
    table, cal = _core.Topology("v5e:2x4"), _core.Topology("v5e:2x4", calibration=SLOW_LINKS)
    mesh = [2, 4]

    def paths(topology):
        cand = _core.CompiledCandidate(DOT_ALL_REDUCE, topology, mesh)
        return {
            "rank": cand.rank(top=2, baselines=[JAX_2X4]).to_dict()["placements"][0]["seconds"],
            "score": cand.score(JAX_2X4).to_dict()["exposed_comm_seconds"],
            "oracle": cand.oracle().to_dict()["best_seconds"],
            "rank_free": _core.rank_placements(DOT_ALL_REDUCE, topology, mesh, top=1)["placements"][
                0
            ]["seconds"],
            "collective": _core.CommModel(topology).cost(
                "all-reduce", 1 << 20, groups=[[0, 1, 2, 3]]
            )["seconds"],
        }

    before, after = paths(table), paths(cal)
    for key in before:
        assert after[key] > before[key], key


def test_q1_and_compute_read_the_calibrated_efficiencies():
    table = _core.Topology("v5e:2x4")
    cal = _core.Topology("v5e:2x4", calibration=SLOW_COMPUTE)
    for compute in ("roofline",):
        q_table = _core.PrecompiledCandidate(MLP_PRE, table).q1(compute=compute).to_dict()
        q_cal = _core.PrecompiledCandidate(MLP_PRE, cal).q1(compute=compute).to_dict()
        assert q_cal["compute_seconds"] > q_table["compute_seconds"]
        s_table = _core.CompiledCandidate(MLP, table, [2, 4]).score(JAX_2X4, compute=compute)
        s_cal = _core.CompiledCandidate(MLP, cal, [2, 4]).score(JAX_2X4, compute=compute)
        assert s_cal.to_dict()["compute_seconds"] > s_table.to_dict()["compute_seconds"]
