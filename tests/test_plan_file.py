"""plan.json round trip, validation errors, and applying a plan to devices listed in any order."""

import json
import random

import pytest

from aoizora.compiler.tpu_topology import tpu_devices
from aoizora.plan import SCHEMA, Plan, load_plan, mesh, ordered_devices, save_plan


def _plan(order_coords, ids, shape=(2, 4), names=("cfg", "ulysses")) -> Plan:
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
    assert m.axis_names == ("cfg", "ulysses")
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


def _good() -> dict:
    return _plan([[i % 2, i // 2, 0] for i in range(8)], range(8)).to_json()


def _set(obj: dict, path: str, value) -> dict:
    """A copy of ``obj`` with the field at ``path`` ("mesh.shape", "device_order.3") set, or
    removed when ``value`` is ``...``."""
    obj = json.loads(json.dumps(obj))
    *parents, last = path.split(".")
    node = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return obj


@pytest.mark.parametrize(
    ("path", "value", "field", "needle"),
    [
        ("model", ..., "model", "missing (required)"),
        ("model", 7, "model", "not of type 'string'"),
        ("model", "wan9", "model", "unknown model 'wan9'"),
        ("resolution", "4k", "resolution", "'4k' is not one of"),
        ("frames", 6, "frames", "4k+1"),
        ("frames", 99999999999999999997, "frames", "greater than the maximum"),
        ("frames", 2.5, "frames", "not of type 'integer'"),
        ("frames", True, "frames", "not of type 'integer'"),
        ("topology", "v5e:3x3", "topology", "3x3"),
        ("topology", "v5e:4x4", "mesh.shape", "a v5e:4x4 slice has 16"),
        ("mesh.shape", [2, -4], "mesh.shape[1]", "less than the minimum of 1"),
        ("mesh.shape", [2, 4.5], "mesh.shape[1]", "not of type 'integer'"),
        ("mesh.shape", [2, "4"], "mesh.shape[1]", "not of type 'integer'"),
        ("mesh.shape", [4, 2], "candidate", "but field mesh says"),
        ("mesh.shape", [8], "mesh.axis_names", "2 axis names for mesh shape [8]"),
        ("mesh.axis_names", ["cfg", "cfg"], "mesh.axis_names", "non-unique"),
        ("mesh.axis_names", ["ulysses", "cfg"], "candidate", "but field mesh says"),
        ("mesh", "2x4", "mesh", "not of type 'object'"),
        ("candidate", "cfg=2,ulysses=2", "candidate", "but field mesh says"),
        ("candidate", "cfg=2,warp=4", "candidate", "unknown parallel axis 'warp'"),
        ("weight_sharding", ["ulysses"], "weight_sharding", "differs from the candidate's"),
        ("weight_sharding", ["tp", "tp"], "weight_sharding", "non-unique"),
        ("attention", "flash9", "attention", "'flash9' is not one of"),
        ("attention", None, "attention", "not of type 'string'"),
        ("device_order.3", [1, 5, 0], "device_order[3]", "not a chip on the v5e:2x4 slice"),
        ("device_order.3", [1, 1, 0, 1], "device_order[3]", "not a chip"),
        ("device_order.3", [1, -1, 0], "device_order[3][1]", "less than the minimum of 0"),
        ("device_order.3", [1, 1], "device_order[3]", "is too short"),
        ("device_order.3", [0, 1, 0], "device_order", "repeats a chip coordinate"),
        ("device_order.3", "x", "device_order[3]", "not of type 'array'"),
        ("device_ids.3", 2, "device_ids", "repeats a device"),
        ("device_ids.3", 12, "device_ids[3]", "12 is not a device of v5e:2x4"),
        ("device_ids.3", 99999999999999999999, "device_ids[3]", "greater than the maximum"),
        ("device_ids", [1, 0, 2, 3, 4, 5, 6, 7], "device_ids[0]", "device 1 is at [1, 0, 0, 0]"),
        ("device_ids", [0, 1], "device_ids", "and device_ids 2"),
        ("predicted", {}, "predicted.seconds", "missing (required)"),
        ("predicted", {"seconds": -1}, "predicted.seconds", "less than the minimum of 0"),
        ("predicted", {"seconds": "fast"}, "predicted.seconds", "not of type 'number'"),
        ("runner_ups", {"a": 1}, "runner_ups", "not of type 'array'"),
        ("stats", [], "stats", "not of type 'object'"),
    ],
)
def test_malformed_plans_name_the_field_and_the_file(tmp_path, path, value, field, needle):
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(_set(_good(), path, value)))
    with pytest.raises(ValueError) as e:
        load_plan(bad)
    message = str(e.value)
    assert message.startswith(f"{bad}: "), message
    assert f"field {field}:" in message and needle in message, message


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100000, "nested too deeply"),
        (b"[1, 2]", "a JSON object expected"),
        (b"null", "a JSON object expected"),
        (b"{}", "unsupported plan schema None"),
    ],
)
def test_files_that_are_not_plans(tmp_path, content, needle):
    bad = tmp_path / "plan.json"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=needle) as e:
        load_plan(bad)
    assert str(bad) in str(e.value)


def test_mesh_on_a_host_without_the_slice_says_which_slice():
    import jax

    plan = load_plan_from(_good())
    with pytest.raises(ValueError, match="this plan is for a v5e 2x4 slice") as e:
        mesh(plan, jax.devices("cpu")[:1])
    assert "this host has no such TPU devices" in str(e.value)
    with pytest.raises(ValueError, match=r"v5e 2x4 slice \(TPU v5 lite\).*TPU v6 lite"):
        mesh(plan, tpu_devices("v6e:2x4"))
    far = _plan([[i % 2, i // 2, 0] for i in range(8)], range(8))
    with pytest.raises(ValueError, match="no such TPU devices"):
        ordered_devices(far, tpu_devices("v5e:2x2"))


def load_plan_from(obj: dict) -> Plan:
    return Plan.from_json(obj, source="plan.json")
