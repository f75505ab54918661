"""Measurement worker: ``python -m aoizora.measure.runner JOB.json RESULT.json``.

JOB: ``{"compiler": "cpu"|"tpu", "topology": spec, "num_devices": n, "device_kind": kind,
"probe": bool, "warmup": w, "steps": s, "rows": [...]}``; each row names its workload factory,
candidate, mesh, device coordinates and ids, and the digest of the program the plan compiled.
RESULT: the devices found and, per row, the timed runs (or why it could not run). A device set
that is not the plan's slice is reported as ``bad_input`` (the planner exits 2).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def _configure(job: dict[str, Any]) -> None:
    """Before JAX starts: the CPU backend with the slice's device count, or the TPU runtime."""
    if job["compiler"] == "cpu":
        from aoizora.compiler import env

        os.environ["JAX_PLATFORMS"] = "cpu"
        # The host CPU exposes as many devices as asked: the slice's count, unless the user's
        # environment fixes a count (then that is what is present, and it must match).
        fixed = os.environ.get("JAX_NUM_CPU_DEVICES") or (
            "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
        )
        env.configure(cpu_devices=None if fixed else int(job["num_devices"]))
    else:
        os.environ["JAX_PLATFORMS"] = "tpu"


class BadDevices(ValueError):
    """The devices present are not the plan's slice."""


def present(job: dict[str, Any]) -> tuple[list, str]:
    """The devices to measure on, and their description; BadDevices when they are not the
    plan's slice (count, and on TPU the kind)."""
    import jax

    n, kind = int(job["num_devices"]), job["device_kind"]
    try:
        devices = jax.devices("cpu" if job["compiler"] == "cpu" else "tpu")
    except RuntimeError as e:
        raise BadDevices(
            f"--measure needs the plan's slice ({job['topology']}: {n} '{kind}' devices) and "
            f"this host has no TPU devices ({str(e).splitlines()[0]})"
        ) from None
    have = sorted({str(getattr(d, "device_kind", d.platform)) for d in devices})
    words = f"{len(devices)} {', '.join(have)} devices ({devices[0].platform})"
    if job["compiler"] == "cpu":
        if len(devices) != n:
            raise BadDevices(
                f"--measure with --compiler cpu needs {n} CPU devices ({job['topology']}) and "
                f"the XLA CPU backend has {len(devices)} (XLA_FLAGS / JAX_NUM_CPU_DEVICES)"
            )
        return sorted(devices, key=lambda d: d.id), words + ", CPU numbers, not TPU numbers"
    if len(devices) != n or have != [kind]:
        raise BadDevices(
            f"--measure needs the plan's slice ({job['topology']}: {n} '{kind}' devices) and "
            f"this host has {words}"
        )
    return devices, words


def _ordered(job: dict[str, Any], devices: list, row: dict[str, Any]) -> list:
    if job["compiler"] == "cpu":  # no coordinates: the slice's device ids
        by_id = {int(d.id): d for d in devices}
        return [by_id[int(i)] for i in row["device_ids"]]
    by_key = {}
    for d in devices:
        c = [int(v) for v in d.coords] + [0] * (3 - len(d.coords))
        by_key[(*c[:3], int(getattr(d, "core_on_chip", 0) or 0))] = d
    out = []
    for coords in row["device_order"]:
        c = list(coords) + [0] * (4 - len(coords))
        if tuple(c) not in by_key:
            raise BadDevices(f"the plan wants a device at {c} and this host has none there")
        out.append(by_key[tuple(c)])
    return out


def random_arguments(abstract: Any, seed: int = 0) -> Any:
    """Arrays of the abstract arguments' shapes, dtypes and shardings, generated on the devices
    (no host copy of the weights): pseudo-random floats in [-0.02, 0.02) from a hash of each
    element's index (cheap to compile, unlike a counter-based generator per weight), zeros for
    other dtypes."""
    import jax
    import jax.numpy as jnp

    leaves, treedef = jax.tree.flatten(abstract)

    def generate(key):  # one program for every leaf: one compile, not one per weight
        out = []
        for i, leaf in enumerate(leaves):
            if not jnp.issubdtype(leaf.dtype, jnp.floating):
                out.append(jnp.zeros(leaf.shape, leaf.dtype))
                continue
            index = jnp.zeros(leaf.shape, jnp.float32)
            for axis in range(len(leaf.shape)):  # a distinct number per element
                index = index * leaf.shape[axis] + jax.lax.broadcasted_iota(
                    jnp.float32, leaf.shape, axis
                )
            u = jnp.sin(index * 12.9898 + key + 78.233 * i) * 43758.5453
            out.append((0.04 * (u - jnp.floor(u)) - 0.02).astype(leaf.dtype))
        return out

    shardings = [leaf.sharding for leaf in leaves]
    out = jax.jit(generate, out_shardings=shardings)(jnp.float32(seed))
    return jax.tree.unflatten(treedef, out)


def measure_row(job: dict[str, Any], devices: list, row: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from jax.sharding import Mesh

    from aoizora.calibrate.timing import time_steady
    from aoizora.compiler.cache import lowered_text_digest
    from aoizora.compiler.lowering import resolve_factory

    ordered = _ordered(job, devices, row)
    mesh = Mesh(
        np.array(ordered, dtype=object).reshape(row["mesh_shape"]), tuple(row["axis_names"])
    )
    factory = resolve_factory(row["factory"])
    fn, abstract = factory(row["candidate"], mesh, **dict(row["kwargs"]))
    lowered = fn.trace(*abstract).lower()
    digest = lowered_text_digest(lowered.as_text(dialect="hlo"))
    compiled = lowered.compile()
    args = random_arguments(abstract)
    timing = time_steady(compiled, tuple(args), warmup=job["warmup"], repeats=job["steps"])
    return {
        "seconds": timing["median_seconds"],
        "runs": timing["runs"],
        "min_seconds": timing["min_seconds"],
        "max_seconds": timing["max_seconds"],
        "warmup": job["warmup"],
        "device_ids": [int(d.id) for d in ordered],
        # The pre-compile program equals the one the plan compiled and scored.
        "same_program": (digest == row["lowered_sha256"]) if row.get("lowered_sha256") else None,
    }


def run(job: dict[str, Any], on_row=None) -> dict[str, Any]:
    try:
        devices, words = present(job)
    except BadDevices as e:
        return {"bad_input": str(e)}
    result: dict[str, Any] = {"devices": words, "platform": devices[0].platform, "rows": []}
    if job.get("probe"):
        return result
    done: dict[str, dict[str, Any]] = {}  # the same program on the same devices runs once
    for row in job["rows"]:
        key = json.dumps(
            [row["factory"], row["kwargs"], row["candidate"], row["mesh_shape"], row["device_ids"]]
        )
        if key in done:
            out = {**done[key][1], "same_as": done[key][0]}
            result["rows"].append(out)
            if on_row:
                on_row(row, out)
            continue
        try:
            out = measure_row(job, devices, row)
        except BadDevices as e:
            return {"bad_input": str(e)}
        except Exception as e:  # noqa: BLE001 - one row fails (e.g. out of memory), not all
            out = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
        done[key] = (row["name"], out)
        result["rows"].append(out)
        if on_row:
            on_row(row, out)
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m aoizora.measure.runner JOB.json RESULT.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text())
    _configure(job)

    def progress(row, out):  # one line per row on stdout: the planner's progress reads it
        print(json.dumps({"row": row["name"], "seconds": out.get("seconds")}), flush=True)

    result = run(job, progress)
    Path(argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
