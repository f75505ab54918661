"""Python surface of the HLO parser (aoizora.core().parse_hlo / parse_hlo_file)."""

from __future__ import annotations

from pathlib import Path

import pytest

import aoizora

DATA = Path(__file__).parent / "data" / "hlo" / "handwritten"


def test_parse_compiled_tpu_module() -> None:
    m = aoizora.core().parse_hlo_file(str(DATA / "tpu_smoke_compiled.hlo"))
    assert m.name == "jit_f"
    assert m.is_scheduled
    assert m.num_partitions == 8
    assert m.entry.name == "main.0_spmd"
    root = m.entry.root
    assert root.opcode == "all-reduce"
    # mesh['axis_0'=2,'axis_1'=1,'axis_2'=4] {'axis_0'}: pairs across the first mesh axis.
    assert root.replica_groups == [[0, 4], [1, 5], [2, 6], [3, 7]]
    assert root.channel_id == 2
    assert root.use_global_device_ids is True
    assert m.entry.instruction("param").sharding == "{devices=[2,4]<=[8]}"
    # bf16[512,128] per device = 131072 bytes.
    assert m.entry.instruction("param").shape_bytes == 512 * 128 * 2
    fusion = m.entry.instruction("fusion")
    assert ("calls", "fused_computation.1") in fusion.called_computations
    assert fusion.attributes["kind"] == "kOutput"


def test_objects_keep_module_alive() -> None:
    root = (
        aoizora.core()
        .parse_hlo("e {\n  a = f32[2]{0} parameter(0)\n  ROOT n = f32[2]{0} negate(a)\n}")
        .entry.root
    )
    assert root.operands == ["a"]
    assert root.shape == "f32[2]{0}"


def test_parse_error_is_value_error_with_caret() -> None:
    with pytest.raises(ValueError) as info:
        aoizora.core().parse_hlo("ENTRY e {\n  ROOT a = f32[ parameter(0)\n}", "x.hlo")
    lines = str(info.value).splitlines()
    assert lines[0] == "x.hlo:2:17: expected a dimension size, got identifier 'parameter'"
    assert lines[1] == "  ROOT a = f32[ parameter(0)"
    assert lines[2] == " " * 16 + "^"


def test_missing_file_is_value_error() -> None:
    with pytest.raises(ValueError, match="nope.hlo"):
        aoizora.core().parse_hlo_file("/nonexistent/nope.hlo")
