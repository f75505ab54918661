"""`aoizora topo`: JSON keys and values for real slices, exit code 2 on bad specs."""

import json

import pytest

from aoizora.cli.main import main


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_topo_json_v5e_2x4(capsys):
    info = run_json(capsys, "topo", "v5e:2x4", "--json")
    assert info["generation"] == "v5e"
    assert info["shape"] == [2, 4]
    assert info["wrap"] == [False, False]
    assert info["num_chips"] == 8
    # open 2x4: 4 rows x 1 x-link + 2 columns x 3 y-links, both directions
    assert info["num_ici_links"] == 20
    assert info["chip"]["device_kind"] == "TPU v5 lite"
    assert info["chip"]["ici_links_per_chip"] == 4
    # libtpu numbering: id = x + 2*y
    assert info["devices"][5]["coords"] == [1, 2, 0]


@pytest.mark.parametrize(
    "spec,shape,wrap",
    [
        ("v6e:8x16", [8, 16], [False, True]),
        ("v5e:16x16", [16, 16], [True, True]),
        ("v5p:2x2x2", [2, 2, 2], [False, False, False]),
        ("v4:4x4x4", [4, 4, 4], [True, True, True]),
        ("tpu7x:2x2x1", [2, 2, 1], [False, False, False]),
    ],
)
def test_topo_wrap_rules(capsys, spec, shape, wrap):
    info = run_json(capsys, "topo", spec, "--json")
    assert info["shape"] == shape
    assert info["wrap"] == wrap


def test_topo_tpu7x_has_two_devices_per_chip(capsys):
    info = run_json(capsys, "topo", "tpu7x:2x2x1", "--json")
    assert info["num_devices"] == 8
    assert [d["coords"] for d in info["devices"][:4]] == [
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
    ]
    assert [d["core_on_chip"] for d in info["devices"][:2]] == [0, 1]
    assert info["num_die_to_die_links"] == 8


def test_topo_human_output(capsys):
    assert main(["topo", "v5e:4x4"]) == 0
    out = capsys.readouterr().out
    assert "16 chips" in out and "x=open" in out


@pytest.mark.parametrize(
    "spec,message",
    [
        ("v9x:2x4", "unknown TPU generation 'v9x'"),
        ("v5e:3x3", "valid shapes: 1x1, 2x2, 2x4"),
        ("v5p:2x2", "does not exist for v5p"),
        ("v5e", "expected GENERATION:SHAPE"),
        ("v5e:2xq", "bad slice shape"),
    ],
)
def test_topo_bad_spec_exits_2(capsys, spec, message):
    assert main(["topo", spec]) == 2
    assert message in capsys.readouterr().err
