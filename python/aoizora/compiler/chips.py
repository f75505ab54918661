"""HBM capacity per chip, used to say whether a compiled candidate fits.

Source: shared/reference/tpu-hardware.md section 1 (Google Cloud TPU docs and the scaling book):
v4 32 GiB, v5e 16 GB, v5p 95 GiB, v6e 32 GB, TPU7x 192 GiB per chip. HBM parts come in binary
sizes, so the GB figures are read as GiB. The planner's C++ topology table holds the other chip
constants; this is the one number the compiler adapter needs on its own.
TPU7x exposes two JAX devices per chip; memory_analysis() is per device, so the per-device
capacity is half the chip's.
"""

from __future__ import annotations

GIB = 1 << 30

_HBM_BYTES_PER_CHIP = {
    "v4": 32 * GIB,
    "v5e": 16 * GIB,
    "v5p": 95 * GIB,
    "v6e": 32 * GIB,
    "tpu7x": 192 * GIB,
}

_DEVICES_PER_CHIP = {"tpu7x": 2}


def hbm_bytes_per_chip(generation: str) -> int:
    try:
        return _HBM_BYTES_PER_CHIP[generation]
    except KeyError:
        known = ", ".join(_HBM_BYTES_PER_CHIP)
        raise ValueError(f"no HBM size for generation {generation!r}; known: {known}") from None


def devices_per_chip(generation: str) -> int:
    return _DEVICES_PER_CHIP.get(generation, 1)


def hbm_bytes_per_device(generation: str) -> int:
    return hbm_bytes_per_chip(generation) // devices_per_chip(generation)
