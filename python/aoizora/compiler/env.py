"""Process environment for compiling without a TPU.

JAX reads these variables once, when it first initialises its backends, so they must be set before
the first ``import jax`` that touches a backend. Call :func:`configure` first thing in any process
that compiles (the CLI and the compile workers do).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Compile-only TPU topologies come from libtpu; the runtime backend stays the CPU so that no TPU
# chip (and no cloud metadata server) is looked for. libtpu prints warnings about unset
# TPU_ACCELERATOR_TYPE / TPU_WORKER_HOSTNAMES when initialised without a TPU; they are harmless
# for compile-only use. libtpu also takes a host-wide lock (/tmp/libtpu_lockfile) so that one
# process owns the chips; parallel compile workers never touch a chip, so they opt out of it
# (without this, a second concurrent worker fails with "ABORTED: ... multi-process lockfile").
_DEFAULTS = {
    "ALLOW_MULTIPLE_LIBTPU_LOAD": "1",
    "JAX_PLATFORMS": "cpu",
    "TPU_SKIP_MDS_QUERY": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


# Set only so that a process can compile for a TPU without one: a process that runs on the TPU
# (the --measure runner) must not inherit them from the planner.
_COMPILE_ONLY = ("ALLOW_MULTIPLE_LIBTPU_LOAD", "TPU_SKIP_MDS_QUERY", "JAX_PLATFORMS")
# Names configure() added to the environment (not the user's own settings), comma-separated.
_ADDED = "AOIZORA_ENV_ADDED"


def configure(cpu_devices: int | None = None) -> None:
    """Set the environment for AOT TPU compiles plus ``cpu_devices`` host CPU devices.

    ``cpu_devices`` forces the XLA CPU backend to expose that many devices (the CPU fallback
    compiler and the numerical tests use them). It only takes effect before JAX initialises.
    """
    added = {k for k in _DEFAULTS if k not in os.environ}
    added |= set(filter(None, os.environ.get(_ADDED, "").split(",")))
    os.environ.update(variables(cpu_devices, os.environ))
    os.environ[_ADDED] = ",".join(sorted(added))


def runtime_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` less the compile-only variables that :func:`configure` added (a user's own
    settings stay): the environment for a process that runs on the TPU."""
    added = set(filter(None, environ.get(_ADDED, "").split(",")))
    drop = {k for k in _COMPILE_ONLY if k in added} | {_ADDED}
    return {k: v for k, v in environ.items() if k not in drop}


def variables(cpu_devices: int | None = None, base: Mapping[str, str] | None = None) -> dict:
    """The variables :func:`configure` sets, given the environment ``base`` (default: empty):
    the defaults above where ``base`` has none, and the forced host device count. A worker on
    another host (a Ray task) gets these through its runtime environment."""
    base = base if base is not None else {}
    out = {key: base.get(key, value) for key, value in _DEFAULTS.items()}
    if cpu_devices is not None:
        if cpu_devices < 1:
            raise ValueError(f"cpu_devices must be >= 1, got {cpu_devices}")
        out["JAX_NUM_CPU_DEVICES"] = str(cpu_devices)
        flags = [
            f
            for f in base.get("XLA_FLAGS", "").split()
            if not f.startswith("--xla_force_host_platform_device_count")
        ]
        flags.append(f"--xla_force_host_platform_device_count={cpu_devices}")
        out["XLA_FLAGS"] = " ".join(flags)
    return out


def libtpu_available() -> bool:
    """True when the libtpu wheel is importable (needed for TPU ahead-of-time compiles)."""
    import importlib.util

    return importlib.util.find_spec("libtpu") is not None
