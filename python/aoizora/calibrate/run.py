"""``aoizora calibrate``: run the benchmarks on the devices present, fit the constants, write the
calibration file. Every number in it is a measurement on those devices (on the XLA CPU backend,
CPU numbers, labelled so)."""

from __future__ import annotations

import datetime
import platform as host_platform
import time
from typing import Any

from aoizora.calibrate import benchmarks as bm
from aoizora.calibrate.calibration_file import CALIBRATION_SCHEMA
from aoizora.calibrate.fit import fit_constants


def versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in ("jax", "jaxlib", "libtpu"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _tpu_slice(dev: bm.Devices) -> tuple[dict[str, Any] | None, str | None, str]:
    """(chip row of the sourced table, slice spec, note) for TPU devices; (None, None, why)."""
    from aoizora import _core

    if dev.platform != "tpu":
        return None, None, f"{dev.platform} backend: not a TPU, no slice"
    chip = next((c for c in _core.chip_specs() if c["device_kind"] == dev.device_kind), None)
    if chip is None:
        return None, None, f"device kind {dev.device_kind!r} has no row in the sourced table"
    shape = dict(zip(dev.axis_names, dev.mesh_shape, strict=True))
    dims = [shape.get(a, 1) for a in ("x", "y", "z")][: chip["spec_dims"]]
    spec = f"{chip['generation']}:{'x'.join(map(str, dims))}"
    try:
        _core.Topology(spec)
    except ValueError as e:
        return chip, None, f"devices present are not a whole slice ({e})"
    return chip, spec, ""


def calibrate(quick: bool, progress) -> dict[str, Any]:
    """Measure, fit, and return the calibration document."""
    start = time.perf_counter()
    dev = bm.present_devices()
    chip, spec, slice_note = _tpu_slice(dev)
    sizes = bm.sizes_for(dev.platform, quick)
    progress.log(
        f"calibrating on {len(dev.devices)} {dev.device_kind} devices ({dev.platform}), mesh "
        f"{dict(zip(dev.axis_names, dev.mesh_shape, strict=True))}"
        + (f", slice {spec}" if spec else "")
        + (" [quick]" if quick else "")
    )
    records: list[dict[str, Any]] = []
    steps = [
        ("ppermute", lambda tick: bm.permute_sweep(dev, sizes, tick)),
        ("collectives", lambda tick: bm.collective_sweep(dev, sizes, tick)),
        ("matmul", lambda tick: bm.matmul_sweep(dev, sizes, tick)),
        (
            "attention",
            lambda tick: bm.attention_sweep(dev, sizes, tick, chip["generation"] if chip else None),
        ),
        ("copy", lambda tick: bm.copy_sweep(dev, sizes, tick)),
        ("transcendentals", lambda tick: bm.transcendental_sweep(dev, sizes, tick)),
    ]
    for name, run in steps:
        with progress.stage(name, eta=False) as tick:
            records.extend(run(tick))
    constants, derived = fit_constants(records, chip, dev.platform)
    label = (
        "measured on TPU"
        if dev.platform == "tpu"
        else f"measured on the {dev.platform} backend: {dev.platform.upper()} numbers, not TPU "
        "numbers"
    )
    return {
        "schema": CALIBRATION_SCHEMA,
        "note": label,
        "device_kind": dev.device_kind,
        "platform": dev.platform,
        "device_count": len(dev.devices),
        "mesh": {"axis_names": list(dev.axis_names), "shape": list(dev.mesh_shape)},
        "physical_axes": dev.physical,
        "topology": spec,
        "topology_note": slice_note,
        "generation": chip["generation"] if chip else None,
        "versions": versions(),
        "python": host_platform.python_version(),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "wall_seconds": time.perf_counter() - start,
        "constants": constants,
        "derived": derived,
        "benchmarks": records,
    }
