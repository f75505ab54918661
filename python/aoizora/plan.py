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
    "Predicted by AoiZora's analytical model (compute of the compiled program, from libtpu's "
    "estimates or our roofline, + ICI communication model); not a measurement on TPU hardware."
)


@dataclass
class Plan:
    model: str
    resolution: str
    frames: int | None  # video families; None for image families
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
    # The model's attention: splash | pallas (fused TPU kernels) | jax (blockwise, plain JAX).
    attention: str = "jax"
    compute_source: str = "roofline"  # Q2's compute source: compiler (libtpu's cycles) | roofline
    batch: int = 1  # samples per step
    # Which constants came from a calibration file and which from the sourced table
    # (aoizora.calibrate.constant_sources); None in plans written before calibration existed.
    calibration: dict[str, Any] | None = None
    # --measure: the plan's step measured on the devices present (docs/plan-schema.md).
    measured: dict[str, Any] | None = None
    schema: str = SCHEMA

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "model": self.model,
            "resolution": self.resolution,
            "frames": self.frames,
            "batch": self.batch,
            "topology": self.topology,
            "compiler": self.compiler,
            "attention": self.attention,
            "compute_source": self.compute_source,
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
            **({"calibration": self.calibration} if self.calibration is not None else {}),
            **({"measured": self.measured} if self.measured is not None else {}),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], source: str = "plan") -> Plan:
        """The plan in ``obj`` (plan.json's content), validated against the schema
        (aoizora.plan_schema) and :meth:`validate`; ValueError naming ``source`` and the field."""
        from aoizora.plan_schema import validate_document

        if not isinstance(obj, dict):
            raise ValueError(f"{source}: not a valid plan: a JSON object expected, got {obj!r:.40}")
        schema = obj.get("schema")
        if schema != SCHEMA:
            raise ValueError(f"{source}: unsupported plan schema {schema!r}; expected {SCHEMA!r}")
        validate_document(obj, source)
        try:
            plan = cls(
                model=obj["model"],
                resolution=obj["resolution"],
                frames=None if obj["frames"] is None else int(obj["frames"]),
                batch=int(obj.get("batch", 1)),
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
                compute_source=str(obj.get("compute_source", "roofline")),
                calibration=obj.get("calibration"),
                measured=obj.get("measured"),
            )
        except KeyError as e:
            raise ValueError(f"{source}: missing field {e.args[0]!r}") from None
        plan.validate(source)
        return plan

    def validate(self, source: str = "plan") -> None:
        """What the schema cannot say: the mesh, the devices and the slice agree, the candidate
        agrees with the mesh, the workload and the attention are known. ValueError naming
        ``source`` and the field."""

        def bad(field_: str, message: object) -> ValueError:
            return ValueError(f"{source}: field {field_}: {message}")

        n = 1
        for s in self.mesh_shape:
            n *= s
        if len(self.axis_names) != len(self.mesh_shape):
            raise bad(
                "mesh.axis_names",
                f"{len(self.axis_names)} axis names for mesh shape {self.mesh_shape}",
            )
        if len(set(self.axis_names)) != len(self.axis_names):
            raise bad("mesh.axis_names", f"{self.axis_names} repeats a name")
        if len(self.device_order) != n or len(self.device_ids) != n:
            raise bad(
                "device_order" if len(self.device_order) != n else "device_ids",
                f"mesh {self.mesh_shape} has {n} devices but device_order lists "
                f"{len(self.device_order)} and device_ids {len(self.device_ids)}",
            )
        if len({tuple(_normalize(c)) for c in self.device_order}) != n:
            raise bad("device_order", "device_order repeats a chip coordinate")
        if len(set(self.device_ids)) != n:
            raise bad("device_ids", "device_ids repeats a device")
        self._validate_workload(bad)
        self._validate_slice(bad, n)

    def _validate_workload(self, bad) -> None:
        from aoizora.models import Candidate, family_of

        try:
            family = family_of(self.model)
        except ValueError as e:
            raise bad("model", e) from None
        if self.resolution not in family.resolutions(self.model):
            allowed = ", ".join(family.resolutions(self.model))
            raise bad("resolution", f"{self.resolution!r} is not one of {allowed}")
        try:
            scenario = family.scenario(self.model, self.resolution, self.frames, self.batch)
        except ValueError as e:
            raise bad("batch" if "batch" in str(e) else "frames", e) from None
        if scenario.frames != self.frames:
            raise bad("frames", f"{self.model} needs frames {scenario.frames}, got {self.frames}")
        try:
            cand = Candidate.parse(self.candidate)
        except ValueError as e:
            raise bad("candidate", e) from None
        if list(cand.axis_names()) != self.axis_names or list(cand.mesh_shape()) != [
            int(s) for s in self.mesh_shape
        ]:
            raise bad(
                "candidate",
                f"{self.candidate!r} is the mesh {list(cand.axis_names())} "
                f"{list(cand.mesh_shape())}, but field mesh says {self.axis_names} "
                f"{self.mesh_shape}",
            )
        if list(cand.weight_sharding) != list(self.weight_sharding):
            raise bad(
                "weight_sharding",
                f"{self.weight_sharding} differs from the candidate's "
                f"{list(cand.weight_sharding)} ({self.candidate!r})",
            )
        try:
            family.validate(scenario, cand.num_devices(), cand)
        except ValueError as e:
            raise bad("candidate", e) from None
        from aoizora.models.attention import ATTENTION_IMPLS

        if self.attention not in ATTENTION_IMPLS:
            raise bad("attention", f"{self.attention!r} is not one of {', '.join(ATTENTION_IMPLS)}")

    def _validate_slice(self, bad, n: int) -> None:
        import aoizora

        try:
            topo = aoizora.core().parse_slice_spec(self.topology)
        except ValueError as e:
            raise bad("topology", e) from None
        if int(topo.num_devices) != n:
            raise bad(
                "mesh.shape",
                f"{self.mesh_shape} has {n} devices but a {self.topology} slice has "
                f"{topo.num_devices}",
            )
        dims = (list(topo.shape) + [1, 1])[:3]
        cores = int(topo.cores_per_chip)
        for i, (coords, dev) in enumerate(zip(self.device_order, self.device_ids, strict=True)):
            key = list(_normalize(coords))
            if any(c >= d for c, d in zip(key[:3], dims, strict=True)) or key[3] >= cores:
                where = "x".join(map(str, dims)) + (
                    f", {cores} cores per chip" if cores > 1 else ""
                )
                raise bad(
                    f"device_order[{i}]",
                    f"{coords} is not a chip on the {self.topology} slice ({where})",
                )
            if dev >= n:
                raise bad(f"device_ids[{i}]", f"{dev} is not a device of {self.topology}")
            want = list(topo.device_coords(dev))[:3] + [int(topo.core_on_chip(dev))]
            if want != key:
                raise bad(
                    f"device_ids[{i}]",
                    f"device {dev} is at {want} on {self.topology}, but device_order[{i}] "
                    f"says {coords}",
                )


def save_plan(plan: Plan, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(plan.to_json(), indent=2) + "\n")
    tmp.replace(path)


# plan.json fields that differ between two runs of the same plan: wall times, and where the
# compiles ran.
RUN_FIELDS = ("wall_seconds", "stage_seconds", "executor")


def without_run_fields(obj: Any) -> Any:
    """A plan.json (or any part of it) less RUN_FIELDS at every level: what two runs that planned
    the same thing agree on (the executor bench and tests compare plans with it)."""
    if isinstance(obj, dict):
        return {k: without_run_fields(v) for k, v in obj.items() if k not in RUN_FIELDS}
    if isinstance(obj, list):
        return [without_run_fields(v) for v in obj]
    return obj


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan.json written by ``aoizora plan`` (ValueError naming the file and
    the field; OSError when it cannot be read)."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    except RecursionError:
        raise ValueError(f"{path}: not a plan: JSON nested too deeply") from None
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
    _check_device_kind(plan, devices)
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
                    f"(devices at {[list(k) for k in have[:8]]}{'...' if len(have) > 8 else ''}"
                    f"): {_host_note(plan, devices)}"
                )
            out.append(by_coords[key])
        return out
    by_id = {int(d.id): d for d in devices}
    missing = [i for i in plan.device_ids if i not in by_id]
    if missing:
        raise ValueError(
            f"{_host_note(plan, devices)} (the plan wants device ids {missing[:8]}"
            f"{'...' if len(missing) > 8 else ''}, which it lacks)"
        )
    return [by_id[i] for i in plan.device_ids]


# jax's device_kind of each generation's TPU (as libtpu reports them).
_DEVICE_KINDS = {
    "v4": "TPU v4",
    "v5e": "TPU v5 lite",
    "v5p": "TPU v5",
    "v6e": "TPU v6 lite",
    "tpu7x": "TPU7x",
}


def _slice_words(plan: Plan) -> str:
    generation, _, shape = plan.topology.partition(":")
    return f"a {generation} {shape} slice" if shape else f"a {plan.topology} slice"


def _host_note(plan: Plan, devices: Sequence) -> str:
    kinds = sorted({str(getattr(d, "device_kind", getattr(d, "platform", "?"))) for d in devices})
    return (
        f"this plan is for {_slice_words(plan)} ({len(plan.device_ids)} TPU devices) and this "
        f"host has no such TPU devices (it has {len(devices)}: {', '.join(kinds) or 'none'})"
    )


def _check_device_kind(plan: Plan, devices: Sequence) -> None:
    """TPU devices of another generation at the same coordinates are not the plan's slice."""
    generation = plan.topology.partition(":")[0]
    want = _DEVICE_KINDS.get(generation)
    tpus = [d for d in devices if getattr(d, "platform", "") == "tpu"]
    if want is None or not tpus:
        return
    kinds = sorted({str(getattr(d, "device_kind", "")) for d in tpus})
    if want not in kinds:
        raise ValueError(
            f"this plan is for {_slice_words(plan)} ({want}) and this host has no such TPU "
            f"devices (its TPUs are {', '.join(kinds)})"
        )


def mesh(plan: Plan, devices: Sequence | None = None):
    """The ``jax.sharding.Mesh`` the plan describes, over ``devices`` (default: jax.devices())."""
    import jax
    import numpy as np
    from jax.sharding import Mesh

    if devices is None:
        devices = jax.devices()
    ordered = ordered_devices(plan, devices)
    return Mesh(np.array(ordered, dtype=object).reshape(plan.mesh_shape), tuple(plan.axis_names))
