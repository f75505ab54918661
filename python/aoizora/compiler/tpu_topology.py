"""Compile-only TPU devices for a slice spec such as ``v5e:2x4``, built by libtpu on a CPU host.

See shared/reference/tpu-hardware.md section 6 and docs/compilers.md for what was verified.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# JAX/libtpu topology names per generation (the prefix of get_topology_desc's topology_name).
_LIBTPU_PREFIX = {"v4": "v4", "v5e": "v5e", "v5p": "v5", "v6e": "v6e", "tpu7x": "tpu7x"}


@dataclass(frozen=True)
class SliceSpec:
    """A validated slice; everything but libtpu's naming comes from the C++ topology."""

    generation: str
    shape: tuple[int, ...]
    wrap: tuple[bool, ...]  # wraparound per axis of ``shape``
    hbm_bytes_per_device: float  # the chip's HBM over its JAX devices (2 on tpu7x)

    @property
    def num_chips(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __str__(self) -> str:
        return f"{self.generation}:{'x'.join(map(str, self.shape))}"


def parse_slice_spec(spec: str) -> SliceSpec:
    """Parse and validate ``gen:AxB[xC]`` with the C++ topology, which knows the real shapes, the
    wraparound rule and the chip table; a bad spec raises ValueError naming the bad part."""
    from aoizora import core

    topo = core().parse_slice_spec(str(spec).strip())
    hbm = float(topo.chip["hbm_bytes"]) / topo.cores_per_chip
    return SliceSpec(topo.generation, tuple(topo.shape), tuple(topo.wrap), hbm)


def _wrap(spec: SliceSpec) -> tuple[bool, bool, bool]:
    w = list(spec.wrap) + [False] * (3 - len(spec.wrap))
    return (w[0], w[1], w[2])


def _chips_per_host_bounds(spec: SliceSpec) -> tuple[int, int, int]:
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

    chip_config = "megacore" if s.generation in ("v4", "v5p") else "default"
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
