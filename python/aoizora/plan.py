"""The plan file (plan.json) and how to apply it: ``load_plan`` and ``mesh``.

A plan fixes the logical sharding (a candidate: mesh axes and sizes, weight-sharding axes) and
the physical placement (which chip hosts each logical device). ``mesh(plan, devices)`` builds the
``jax.sharding.Mesh`` by matching chip coordinates, so it works whatever order the runtime lists
the devices in (multi-host slices list them process by process). The schema is documented in
docs/plan-schema.md; ``SCHEMA`` names its version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "aoizora.plan/v1"
PREDICTION_NOTE = (
    "Predicted by AoiZora's analytical model (roofline compute + ICI communication model); "
    "not a measurement on TPU hardware."
)


@dataclass
class Plan:
    model: str
    resolution: str
    frames: int
    topology: str
    compiler: str
    candidate: str  # label, e.g. "cfg=2,ulysses=4|w:ulysses"
    axis_names: list[str]
    mesh_shape: list[int]
    weight_sharding: list[str]
    device_order: list[list[int]]  # chip coords of logical devices 0..N-1 (mesh row-major)
    device_ids: list[int]  # runtime device ids of the same devices
    predicted: dict[str, Any]  # {"seconds": ..., "breakdown": {...}, "note": ...}
    partition_specs: dict[str, Any] = field(default_factory=dict)
    runner_ups: list[dict[str, Any]] = field(default_factory=list)
    baselines: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    attention: str = "jax"  # the model's attention: jax (blockwise) | pallas (fused TPU kernel)
    schema: str = SCHEMA

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "model": self.model,
            "resolution": self.resolution,
            "frames": self.frames,
            "topology": self.topology,
            "compiler": self.compiler,
            "attention": self.attention,
            "candidate": self.candidate,
            "mesh": {"axis_names": self.axis_names, "shape": self.mesh_shape},
            "weight_sharding": self.weight_sharding,
            "partition_specs": self.partition_specs,
            "device_order": self.device_order,
            "device_ids": self.device_ids,
            "predicted": self.predicted,
            "runner_ups": self.runner_ups,
            "baselines": self.baselines,
            "stats": self.stats,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], source: str = "plan") -> Plan:
        schema = obj.get("schema")
        if schema != SCHEMA:
            raise ValueError(f"{source}: unsupported plan schema {schema!r}; expected {SCHEMA!r}")
        try:
            plan = cls(
                model=obj["model"],
                resolution=obj["resolution"],
                frames=int(obj["frames"]),
                topology=obj["topology"],
                compiler=obj["compiler"],
                candidate=obj["candidate"],
                axis_names=list(obj["mesh"]["axis_names"]),
                mesh_shape=[int(s) for s in obj["mesh"]["shape"]],
                weight_sharding=list(obj.get("weight_sharding", [])),
                device_order=[[int(c) for c in coords] for coords in obj["device_order"]],
                device_ids=[int(i) for i in obj["device_ids"]],
                predicted=dict(obj["predicted"]),
                partition_specs=dict(obj.get("partition_specs", {})),
                runner_ups=list(obj.get("runner_ups", [])),
                baselines=list(obj.get("baselines", [])),
                stats=dict(obj.get("stats", {})),
                attention=str(obj.get("attention", "jax")),
            )
        except KeyError as e:
            raise ValueError(f"{source}: missing field {e.args[0]!r}") from None
        plan.validate(source)
        return plan

    def validate(self, source: str = "plan") -> None:
        n = 1
        for s in self.mesh_shape:
            n *= s
        if len(self.axis_names) != len(self.mesh_shape):
            raise ValueError(
                f"{source}: {len(self.axis_names)} axis names for mesh shape {self.mesh_shape}"
            )
        if len(self.device_order) != n or len(self.device_ids) != n:
            raise ValueError(
                f"{source}: mesh {self.mesh_shape} has {n} devices but device_order lists "
                f"{len(self.device_order)} and device_ids {len(self.device_ids)}"
            )
        if len({tuple(c) for c in self.device_order}) != n:
            raise ValueError(f"{source}: device_order repeats a chip coordinate")
        if len(set(self.device_ids)) != n:
            raise ValueError(f"{source}: device_ids repeats a device")


def save_plan(plan: Plan, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(plan.to_json(), indent=2) + "\n")
    tmp.replace(path)


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan.json written by ``aoizora plan``."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    return Plan.from_json(obj, source=str(path))


def _device_key(device) -> tuple[int, ...] | None:
    coords = getattr(device, "coords", None)
    if coords is None:
        return None
    core = int(getattr(device, "core_on_chip", 0) or 0)
    return _normalize([int(x) for x in coords])[:3] + (core,)


def _normalize(coords: Sequence[int]) -> tuple[int, ...]:
    """(x, y, z, core): 2-D coords get z = 0, chips with one device get core = 0."""
    c = list(coords)
    if len(c) < 3:
        c += [0] * (3 - len(c))
    if len(c) < 4:
        c.append(0)
    return tuple(c)


def ordered_devices(plan: Plan, devices: Sequence) -> list:
    """The devices in plan order (logical device 0..N-1).

    TPU devices are matched by chip coordinates (and core on chip). Devices without coordinates
    (the CPU backend, used for tests) are matched by device id instead.
    """
    devices = list(devices)
    by_coords: dict[tuple[int, ...], Any] = {}
    for d in devices:
        key = _device_key(d)
        if key is not None:
            by_coords[key] = d
    if by_coords:
        out = []
        for coords in plan.device_order:
            key = _normalize(coords)
            if key not in by_coords:
                have = sorted(by_coords)
                raise ValueError(
                    f"plan wants a chip at {list(key)} but the runtime has none there "
                    f"(devices at {[list(k) for k in have[:8]]}{'...' if len(have) > 8 else ''})"
                )
            out.append(by_coords[key])
        return out
    by_id = {int(d.id): d for d in devices}
    missing = [i for i in plan.device_ids if i not in by_id]
    if missing:
        raise ValueError(f"plan wants device ids {missing} that the runtime does not have")
    return [by_id[i] for i in plan.device_ids]


def mesh(plan: Plan, devices: Sequence | None = None):
    """The ``jax.sharding.Mesh`` the plan describes, over ``devices`` (default: jax.devices())."""
    import jax
    import numpy as np
    from jax.sharding import Mesh

    if devices is None:
        devices = jax.devices()
    ordered = ordered_devices(plan, devices)
    return Mesh(np.array(ordered, dtype=object).reshape(plan.mesh_shape), tuple(plan.axis_names))
