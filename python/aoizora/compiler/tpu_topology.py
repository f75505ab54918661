"""Compile-only TPU devices for a slice spec such as ``v5e:2x4``, built by libtpu on a CPU host.

See shared/reference/tpu-hardware.md section 6 and docs/compilers.md for what was verified.
"""

from __future__ import annotations

import functools

# JAX/libtpu topology names per generation (the prefix of get_topology_desc's topology_name).
_LIBTPU_PREFIX = {"v4": "v4", "v5e": "v5e", "v5p": "v5", "v6e": "v6e", "tpu7x": "tpu7x"}


def parse_slice_spec(spec: str):
    """The slice as the C++ core's bound ``Topology`` (the one home of slice facts: shape,
    wraparound, chip table, HBM per device, megacore); a bad spec raises ValueError naming the
    bad part. Only libtpu's naming lives here."""
    from aoizora import core

    return core().Topology(str(spec).strip())


def _wrap(spec) -> tuple[bool, bool, bool]:
    w = list(spec.wrap) + [False] * (3 - len(spec.wrap))
    return (w[0], w[1], w[2])


def _chips_per_host_bounds(spec) -> tuple[int, int, int]:
    # Compile-only topologies use 2x2x1 hosts for every generation (as MaxText does); the host
    # split changes process_index only, not coordinates or ids (docs/compilers.md).
    dims = list(spec.shape) + [1] * (3 - len(spec.shape))
    return (min(2, dims[0]), min(2, dims[1]), 1)


def tpu_topology(spec: str, chips_per_host_bounds: tuple[int, int, int] | None = None):
    """The libtpu ``TopologyDescription`` for a slice; its ``.devices`` carry ids and coords.

    ``chips_per_host_bounds`` defaults to 2x2x1 hosts; it changes ``process_index`` and the
    listing order of ``.devices``, never ids or coordinates (docs/compilers.md).
    """
    s = parse_slice_spec(spec)
    bounds = chips_per_host_bounds or _chips_per_host_bounds(s)
    if len(bounds) != 3 or any(int(b) < 1 for b in bounds):
        raise ValueError(f"chips_per_host_bounds must be 3 positive ints, got {bounds!r}")
    return _tpu_topology(str(s), tuple(int(b) for b in bounds))


@functools.cache
def _tpu_topology(spec: str, bounds: tuple[int, int, int]):
    from aoizora.compiler import env

    env.configure()
    s = parse_slice_spec(spec)
    from jax.experimental import topologies

    chip_config = "megacore" if s.megacore else "default"
    return topologies.get_topology_desc(
        f"{_LIBTPU_PREFIX[s.generation]}:{'x'.join(map(str, s.shape))}",
        platform="tpu",
        chip_config_name=chip_config,
        chips_per_host_bounds=bounds,
        num_slices=1,
        wrap=_wrap(s),
    )


def tpu_devices(spec: str, chips_per_host_bounds: tuple[int, int, int] | None = None) -> list:
    """Compile-only TPU devices of the slice, in the order libtpu lists them."""
    return list(tpu_topology(spec, chips_per_host_bounds).devices)
