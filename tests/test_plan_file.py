"""plan.json round trip, validation errors, and applying a plan to devices listed in any order."""

import json
import random

import pytest

from aoizora.compiler.tpu_topology import tpu_devices
from aoizora.plan import SCHEMA, Plan, load_plan, mesh, ordered_devices, save_plan


def _plan(order_coords, ids, shape=(2, 4), names=("cfg", "sp")) -> Plan:
    return Plan(
        model="wan2.1-tiny",
        resolution="tiny",
        frames=5,
        topology="v5e:2x4",
        compiler="test",
        candidate="cfg=2,ulysses=4",
        axis_names=list(names),
        mesh_shape=list(shape),
        weight_sharding=[],
        device_order=[list(c) for c in order_coords],
        device_ids=list(ids),
        predicted={"seconds": 1.0},
    )


def test_round_trip(tmp_path):
    coords = [[i % 2, i // 2, 0] for i in range(8)]
    plan = _plan(coords, range(8))
    save_plan(plan, tmp_path / "plan.json")
    loaded = load_plan(tmp_path / "plan.json")
    assert loaded.to_json() == plan.to_json()
    assert json.loads((tmp_path / "plan.json").read_text())["schema"] == SCHEMA


def test_mesh_matches_chip_coordinates_whatever_the_listing_order():
    devices = tpu_devices("v5e:2x4")
    # A placement where cfg pairs are x-neighbours: logical (i, j) -> chip (x=i, y=j).
    coords = [[i, j, 0] for i in range(2) for j in range(4)]
    ids = [c[0] + 2 * c[1] for c in coords]
    plan = _plan(coords, ids)
    shuffled = list(devices)
    random.Random(7).shuffle(shuffled)
    m = mesh(plan, shuffled)
    assert m.axis_names == ("cfg", "sp")
    got = [list(d.coords) for d in m.devices.flat]
    assert got == coords
    assert [d.id for d in m.devices.flat] == ids


def test_cpu_devices_are_matched_by_id():
    import jax

    cpu = jax.devices("cpu")[:8]
    plan = _plan([[i % 2, i // 2, 0] for i in range(8)], [3, 2, 1, 0, 7, 6, 5, 4])
    assert [d.id for d in ordered_devices(plan, cpu)] == [3, 2, 1, 0, 7, 6, 5, 4]


def test_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "schema": ')
    with pytest.raises(ValueError, match=r"bad.json:2:\d+: not valid JSON"):
        load_plan(bad)
    plan = _plan([[0, 0, 0]] * 8, range(8))
    with pytest.raises(ValueError, match="repeats a chip coordinate"):
        plan.validate()
    obj = _plan([[i % 2, i // 2, 0] for i in range(8)], range(8)).to_json()
    obj["schema"] = "other/v0"
    with pytest.raises(ValueError, match="unsupported plan schema 'other/v0'"):
        Plan.from_json(obj)
    far = _plan([[i % 2, i // 2 + 4, 0] for i in range(8)], range(8))
    with pytest.raises(ValueError, match=r"wants a chip at \[0, 4, 0, 0\]"):
        ordered_devices(far, tpu_devices("v5e:2x4"))
