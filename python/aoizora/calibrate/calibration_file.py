"""The calibration file (``aoizora calibrate`` writes it; ``--calibration FILE`` reads it) and
how it becomes a calibrated ``Topology``. Schema ``aoizora.calibration/v1``
(docs/calibration.md): device kind, device count, topology, versions, the raw timings and the
fitted constants, each with the benchmark it came from."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

CALIBRATION_SCHEMA = "aoizora.calibration/v1"


@dataclass
class Calibration:
    path: str
    device_kind: str
    platform: str
    device_count: int
    topology: str | None
    constants: dict[str, float]
    benchmarks: dict[str, str] = field(default_factory=dict)  # constant -> source benchmark
    fixture: bool = False  # a hand-written test fixture, not a measurement
    document: dict[str, Any] = field(default_factory=dict)


def path_for_slice(cal: Calibration | None, topology: str) -> str | None:
    """``cal``'s file when it was measured on the device kind of ``topology``, else None: a
    report that spans generations applies a calibration to its own kind's slices only."""
    if cal is None:
        return None
    from aoizora import _core

    return cal.path if _core.parse_slice_spec(topology).device_kind == cal.device_kind else None


def _bad(path: str, field_: str, message: str) -> ValueError:
    return ValueError(f"calibration {path}: field {field_}: {message}")


def parse_calibration(doc: Any, path: str) -> Calibration:
    """The calibration in ``doc`` (the file's JSON); ValueError naming the file and the field."""
    from aoizora import _core

    if not isinstance(doc, dict):
        raise ValueError(f"calibration {path}: a JSON object expected")
    if doc.get("schema") != CALIBRATION_SCHEMA:
        raise _bad(path, "schema", f"{doc.get('schema')!r}, expected {CALIBRATION_SCHEMA!r}")
    for key in ("device_kind", "platform"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise _bad(path, key, f"a non-empty string expected, got {doc.get(key)!r}")
    count = doc.get("device_count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise _bad(path, "device_count", f"a positive integer expected, got {count!r}")
    consts = doc.get("constants")
    if not isinstance(consts, dict):
        raise _bad(path, "constants", "an object {name: {value, benchmark, method}} expected")
    known = set(_core.calibratable_constants())
    values, sources = {}, {}
    for name, entry in consts.items():
        if name not in known:
            raise _bad(
                path,
                f"constants.{name}",
                f"unknown constant {name!r}; calibratable: {', '.join(sorted(known))}",
            )
        value = entry.get("value") if isinstance(entry, dict) else None
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise _bad(
                path, f"constants.{name}.value", f"a positive number expected, got {value!r}"
            )
        values[name] = float(value)
        sources[name] = str(entry.get("benchmark", ""))
    topology = doc.get("topology")
    return Calibration(
        path=path,
        device_kind=doc["device_kind"],
        platform=doc["platform"],
        device_count=count,
        topology=topology if isinstance(topology, str) else None,
        constants=values,
        benchmarks=sources,
        fixture=bool(doc.get("fixture", False)),
        document=doc,
    )


def load_calibration(path: str) -> Calibration:
    from aoizora.cli._common import read_input_file

    text = read_input_file(path, "calibration file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"calibration {path}: not JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    return parse_calibration(doc, str(path))


def calibrated_topology(topology: Any, cal: Calibration | None):
    """``topology`` (a spec or a bound Topology) with the calibration's constants; the table's
    when ``cal`` is None. A calibration measured on another kind of device is refused (its
    numbers describe other hardware): ValueError naming both."""
    from aoizora import _core

    topo = topology if isinstance(topology, _core.Topology) else _core.Topology(str(topology))
    if cal is None:
        return topo
    if cal.device_kind != topo.device_kind:
        raise ValueError(
            f"calibration {cal.path} was measured on {cal.device_count} '{cal.device_kind}' "
            f"devices ({cal.platform}), not on {topo.generation} ('{topo.device_kind}'): it cannot "
            f"calibrate {topo}"
        )
    try:
        return topo.with_constants(cal.constants)
    except ValueError as e:
        raise ValueError(f"calibration {cal.path}: {e}") from None


def constant_sources(topology: Any, cal: Calibration | None) -> dict[str, Any]:
    """Where each calibratable constant of ``topology`` came from: the file (value, the table's
    value, the benchmark) or the sourced table. What plan.json's ``calibration`` holds."""
    from aoizora import _core

    topo = topology if isinstance(topology, _core.Topology) else _core.Topology(str(topology))
    table = next(c for c in _core.chip_specs() if c["generation"] == topo.generation)
    names = list(_core.calibratable_constants())
    if cal is None:
        return {"file": None, "from_file": {}, "from_table": names}
    return {
        "file": cal.path,
        "device_kind": cal.device_kind,
        "platform": cal.platform,
        "fixture": cal.fixture,
        "from_file": {
            n: {"value": v, "table_value": table[n], "benchmark": cal.benchmarks.get(n, "")}
            for n, v in sorted(cal.constants.items())
        },
        "from_table": [n for n in names if n not in cal.constants],
    }


def describe(sources: dict[str, Any]) -> str:
    """One line for text outputs: which constants came from where."""
    if not sources.get("file"):
        return "constants: the sourced table (docs/hardware-constants.md)"
    fixture = " (a test fixture, not a measurement)" if sources.get("fixture") else ""
    picked = ", ".join(
        f"{n}={e['value']:.4g} (table {e['table_value']:.4g})"
        for n, e in sources["from_file"].items()
    )
    return (
        f"constants from calibration {sources['file']}{fixture}: {picked}; "
        f"the other {len(sources['from_table'])} from the sourced table"
    )


class CalibratedCore:
    """The core module as ``aoizora validate`` uses it (slice parsing and the chip table), with a
    calibration's constants for the slices of its device kind and the sourced table for the
    others; everything else passes through."""

    def __init__(self, core: Any, cal: Calibration) -> None:
        generation = next(
            (c["generation"] for c in core.chip_specs() if c["device_kind"] == cal.device_kind),
            None,
        )
        if generation is None:
            raise ValueError(
                f"calibration {cal.path} was measured on '{cal.device_kind}' devices "
                f"({cal.platform}), which are no TPU generation of the sourced table"
            )
        self._core, self._cal, self.generation = core, cal, generation

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)

    def parse_slice_spec(self, spec: str):
        topo = self._core.parse_slice_spec(spec)
        return calibrated_topology(topo, self._cal) if topo.generation == self.generation else topo

    def chip_specs(self) -> list[dict[str, Any]]:
        return [
            {**c, **self._cal.constants} if c["generation"] == self.generation else c
            for c in self._core.chip_specs()
        ]
