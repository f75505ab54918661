"""What JAX itself would do: the device order of ``jax.make_mesh`` and
``mesh_utils.create_device_mesh`` fed the compile-only TPU devices (with coordinates) of a slice.

The order is read off the resulting mesh in row-major (C) order: entry ``p`` is the device at
logical mesh position ``p``, i.e. partition ``p`` of the compiled program. When JAX refuses a
shape (e.g. ``NotImplementedError`` for a logical axis that is no product of whole physical axes)
the result carries the error instead of an order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

METHODS = ("make_mesh", "create_device_mesh", "create_device_mesh_split")


@dataclass(frozen=True)
class JaxDeviceOrder:
    method: str  # one of METHODS
    topology: str
    mesh_shape: tuple[int, ...]
    axis_names: tuple[str, ...]
    device_ids: tuple[int, ...] = ()
    coords: tuple[tuple[int, ...], ...] = ()  # chip coordinates (x, y, z) per logical device
    cores: tuple[int, ...] = ()  # core_on_chip per logical device (TPU7x has 2 per chip)
    error: str = ""  # "ExceptionType: message" when JAX raised
    error_type: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not self.error

    def device_coords(self) -> list[list[int]]:
        """Chip coordinates per logical device, with the core appended on multi-core chips
        (tpu7x), the form the C++ core's placement functions take."""
        coords = [list(c) for c in self.coords]
        if any(self.cores):
            coords = [c + [core] for c, core in zip(coords, self.cores, strict=True)]
        return coords

    def to_json(self) -> dict:
        out = {
            "method": self.method,
            "topology": self.topology,
            "mesh_shape": list(self.mesh_shape),
            "axis_names": list(self.axis_names),
        }
        if self.ok:
            out["device_ids"] = list(self.device_ids)
            out["device_order"] = [list(c) for c in self.coords]
            out["core_on_chip"] = list(self.cores)
        else:
            out["error"] = self.error
        return out


def _check(topology: str, mesh_shape: Sequence[int], axis_names: Sequence[str] | None):
    from aoizora.compiler.tpu_topology import parse_slice_spec, tpu_devices

    spec = parse_slice_spec(topology)
    shape = tuple(int(d) for d in mesh_shape)
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"mesh shape must be positive integers, got {list(mesh_shape)}")
    names = (
        tuple(axis_names) if axis_names is not None else tuple(f"a{i}" for i in range(len(shape)))
    )
    if len(names) != len(shape):
        raise ValueError(f"{len(names)} axis names {list(names)} for a {len(shape)}-D mesh {shape}")
    devices = tpu_devices(str(spec))
    n = 1
    for d in shape:
        n *= d
    if n != len(devices):
        raise ValueError(
            f"mesh {list(shape)} has {n} devices but {spec} has {len(devices)}; JAX's "
            "make_mesh would silently truncate, so the baseline needs the whole slice"
        )
    return str(spec), shape, names, devices


def _order(method, topology, shape, names, build) -> JaxDeviceOrder:
    import numpy as np

    try:
        mesh_devices = build()
    except (NotImplementedError, ValueError, AssertionError) as e:
        return JaxDeviceOrder(
            method,
            topology,
            shape,
            names,
            error=f"{type(e).__name__}: {e}",
            error_type=type(e).__name__,
        )
    flat = list(np.asarray(mesh_devices, dtype=object).reshape(-1))
    return JaxDeviceOrder(
        method,
        topology,
        shape,
        names,
        device_ids=tuple(int(d.id) for d in flat),
        coords=tuple(tuple(int(c) for c in d.coords) for d in flat),
        cores=tuple(int(getattr(d, "core_on_chip", 0)) for d in flat),
    )


def make_mesh_order(
    topology: str, mesh_shape: Sequence[int], axis_names: Sequence[str] | None = None
) -> JaxDeviceOrder:
    """``jax.make_mesh(shape, names, devices=<the slice's devices>)`` (splits physical axes on
    v5e only, as JAX decides by device kind)."""
    spec, shape, names, devices = _check(topology, mesh_shape, axis_names)
    import jax

    return _order(
        "make_mesh",
        spec,
        shape,
        names,
        lambda: jax.make_mesh(shape, names, devices=devices).devices,
    )


def create_device_mesh_order(
    topology: str,
    mesh_shape: Sequence[int],
    axis_names: Sequence[str] | None = None,
    *,
    allow_split_physical_axes: bool = False,
) -> JaxDeviceOrder:
    """``mesh_utils.create_device_mesh(shape, devices, allow_split_physical_axes=...)``."""
    spec, shape, names, devices = _check(topology, mesh_shape, axis_names)
    from jax.experimental import mesh_utils

    method = "create_device_mesh_split" if allow_split_physical_axes else "create_device_mesh"
    return _order(
        method,
        spec,
        shape,
        names,
        lambda: mesh_utils.create_device_mesh(
            shape, devices, allow_split_physical_axes=allow_split_physical_axes
        ),
    )


def jax_orders(
    topology: str, mesh_shape: Sequence[int], axis_names: Sequence[str] | None = None
) -> dict[str, JaxDeviceOrder]:
    """All three baselines, keyed by method name."""
    return {
        "make_mesh": make_mesh_order(topology, mesh_shape, axis_names),
        "create_device_mesh": create_device_mesh_order(topology, mesh_shape, axis_names),
        "create_device_mesh_split": create_device_mesh_order(
            topology, mesh_shape, axis_names, allow_split_physical_axes=True
        ),
    }
