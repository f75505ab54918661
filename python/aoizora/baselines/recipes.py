"""How existing systems' recipes become device orders (shared/reference/baselines.md). A recipe
(:class:`aoizora.models.family.Recipe`) is a value its family supplies (``models/<family>/
recipes.py``: the logical sharding each system picks, how it runs guidance, how it builds its
mesh); :func:`recipe_placement` turns it into a device order with the real JAX code. A recipe that
cannot run on a slice (its heads or tokens do not divide, its mesh cannot be built) says why
instead of being replaced by something else.
"""

from __future__ import annotations

from dataclasses import dataclass

from aoizora.models.family import Recipe

# How a row's devices are ordered.
MAKE_MESH = "jax.make_mesh"
CREATE_DEVICE_MESH = "mesh_utils.create_device_mesh(allow_split_physical_axes=False)"
ID_ORDER = "device id order"
PLACEMENT_METHODS = (MAKE_MESH, CREATE_DEVICE_MESH, ID_ORDER)


@dataclass(frozen=True)
class Placement:
    """A device order (chip coordinates, plus the core on multi-core chips, per logical device of
    the candidate's mesh) or why it cannot be built."""

    method: str
    device_coords: list[list[int]] | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.device_coords is not None


def id_order(topology: str) -> list[list[int]]:
    """Chip coordinates (plus the core on multi-core chips) of device ids 0..N-1."""
    from aoizora import core

    return [list(c) for c in core().Topology(topology).coords_of()]


def place(
    method: str,
    topology: str,
    mesh_shape: tuple[int, ...],
    axis_names: tuple[str, ...],
) -> Placement:
    """The device order ``method`` gives a mesh on the slice (the real JAX functions on libtpu's
    compile-only devices); an exception JAX raised is returned as the error."""
    from aoizora.baselines.jax_mesh import create_device_mesh_order, make_mesh_order

    if method == ID_ORDER:
        return Placement(method, id_order(topology))
    if method == MAKE_MESH:
        order = make_mesh_order(topology, mesh_shape or (1,), axis_names or ("a0",))
    elif method == CREATE_DEVICE_MESH:
        order = create_device_mesh_order(topology, mesh_shape or (1,), axis_names or ("a0",))
    else:
        raise ValueError(f"unknown placement method {method!r}")
    if not order.ok:
        return Placement(method, None, f"{method.split('(')[0]} raised {order.error}")
    return Placement(method, order.device_coords())


def recipe_placement(r: Recipe, topology: str) -> Placement:
    """The device order the recipe's own mesh code gives on the slice."""
    if r.candidate is None:
        return Placement(r.placement, None, r.note)
    if r.mesh_shape:
        shape, names = r.mesh_shape, r.mesh_axes
    else:
        shape, names = r.candidate.mesh_shape(), r.candidate.axis_names()
    p = place(r.placement, topology, shape, names)
    if not p.ok and r.mesh_shape:
        dims = ", ".join(f"{a}={d}" for a, d in zip(names, shape, strict=True))
        return Placement(
            p.method, None, f"cannot run: its mesh ({dims}) cannot be built: {p.error}"
        )
    return p
