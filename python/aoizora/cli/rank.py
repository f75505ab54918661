"""``aoizora rank``: rank the physical placements of a compiled module's logical mesh on a slice.

Reads any compiled (SPMD-partitioned) HLO text, enumerates the structured placements of its
logical mesh on the slice (symmetry-reduced; docs/placement.md), predicts each one's step latency
with Q2 (roofline compute with MXU padding + the ICI communication model, async overlap), and
prints the best ones with their breakdown next to what ``jax.make_mesh`` would have done. Every
latency is a model prediction, not a measurement.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from aoizora.cli._common import (
    PREDICTION_LABEL,
    add_compiled_module_arguments,
    add_model_source_arguments,
    console,
    int_arg,
    print_json,
    read_input_file,
)

# No slice has more devices than this (the largest is 18,432); bigger meshes are typos.
MAX_MESH_DEVICES = 2**31 - 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rank",
        help="rank placements of a compiled module's mesh on a slice (Q2, model prediction)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_compiled_module_arguments(p)
    p.add_argument(
        "--top", type=int_arg("--top"), default=10, help="placements to show (default 10)"
    )
    p.add_argument(
        "--exhaustive-limit",
        type=int_arg("--exhaustive-limit"),
        default=200000,
        help="score at most this many structured placements, then local search (default 200000)",
    )
    p.add_argument(
        "--no-jax", action="store_true", help="skip the jax.make_mesh baseline (needs libtpu)"
    )
    add_model_source_arguments(p, attention=False)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run, native_log=True)


def parse_mesh(text: str) -> list[int]:
    parts = [s.strip() for s in text.split(",")]
    try:
        mesh = [int(s) for s in parts]
    except ValueError:
        raise ValueError(
            f"--mesh must be comma-separated integers like 2,4; got {text!r}"
        ) from None
    if not mesh or any(d < 1 for d in mesh):
        raise ValueError(f"--mesh sizes must be >= 1; got {text!r}")
    if math.prod(mesh) > MAX_MESH_DEVICES:
        raise ValueError(
            f"--mesh {text!r} has {math.prod(mesh)} devices, more than any slice "
            f"(at most {MAX_MESH_DEVICES})"
        )
    return mesh


# An iota tile assignment in a sharding annotation: devices=[tile dims]<=[reshape dims]T(perm).
_IOTA_SHARDING = re.compile(r"devices=\[[0-9,]+\]<=\[([0-9,]+)\]")
_ENTRY = re.compile(r"^ENTRY\b.*?^}", re.M | re.S)


def _refines(mesh: list[int], dims: list[int]) -> bool:
    """Whether consecutive axes of ``mesh`` multiply out to ``dims`` in order (size-1 axes
    ignored): the mesh is ``dims`` or a finer split of it."""
    axes = [d for d in mesh if d > 1]
    i = 0
    for want in (d for d in dims if d > 1):
        got = 1
        while got < want and i < len(axes):
            got *= axes[i]
            i += 1
        if got != want:
            return False
    return i == len(axes)


def check_mesh_matches_module(text: str, mesh: list[int], source: str) -> None:
    """ValueError when the entry parameters' shardings cannot be expressed on ``mesh``.

    JAX writes an input's NamedSharding as an iota tile assignment over the mesh it was
    partitioned for, ``<=[dims]`` with adjacent axes merged; the mesh must be those dims or a
    finer split of them (2,2 fits a module partitioned over 4 devices in one axis, 4,2 does not
    fit one partitioned over 2,4). The core checks the device count.
    """
    entry = _ENTRY.search(text)
    if entry is None:
        return
    for line in entry.group(0).splitlines():
        if " parameter(" not in line:
            continue
        m = _IOTA_SHARDING.search(line)
        if m is None:
            continue
        dims = [int(d) for d in m.group(1).split(",")]
        if not _refines(mesh, dims):
            shape = ",".join(map(str, dims))
            raise ValueError(
                f"--mesh {','.join(map(str, mesh))} does not match {source}: its parameter "
                f"shardings are over a mesh {shape} (adjacent axes merged); give {shape} or a "
                "finer split of it, in the order the module was partitioned for"
            )


def parse_axis_names(text: str | None, mesh: list[int]) -> list[str]:
    if text is None:
        return [f"axis{i}" for i in range(len(mesh))]
    names = [s.strip() for s in text.split(",")]
    if len(names) != len(mesh) or any(not n for n in names):
        raise ValueError(
            f"--axis-names {text!r} must name each of the {len(mesh)} mesh axes "
            f"{','.join(map(str, mesh))}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"--axis-names {text!r} repeats a name")
    return names


def jax_default_order(topology: str, mesh: list[int], names: list[str]) -> dict:
    """jax.make_mesh's device order on the slice's compile-only devices, or {"error": ...}."""
    try:
        from aoizora.compiler import env

        env.configure()
        from aoizora.baselines.jax_mesh import make_mesh_order

        order = make_mesh_order(topology, mesh, names)
    except (ImportError, RuntimeError, OSError) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    if not order.ok:
        return {"error": order.error}
    return {"device_order": order.device_coords()}


def rank(
    hlo: Path,
    topology: str,
    mesh: list[int],
    axis_names: list[str],
    top: int = 10,
    exhaustive_limit: int = 200000,
    with_jax: bool = True,
    compute: str = "compiler",
) -> dict:
    """The ranking as the JSON report; ValueError for bad input."""
    import aoizora

    if top < 1:
        raise ValueError(f"--top must be >= 1, got {top}")
    if exhaustive_limit < 1:
        raise ValueError(f"--exhaustive-limit must be >= 1, got {exhaustive_limit}")
    text = read_input_file(hlo)
    core = aoizora.core()
    # Checks the topology and mesh before the (slow) JAX baseline.
    core.placement_space(topology, mesh, limit=0, max_classes=1)
    check_mesh_matches_module(text, mesh, str(hlo))
    jax = jax_default_order(topology, mesh, axis_names) if with_jax else None
    baselines = [jax["device_order"]] if jax and "device_order" in jax else []
    result = core.rank_placements(
        text,
        topology,
        mesh,
        axis_names,
        top=top,
        exhaustive_limit=exhaustive_limit,
        baselines=baselines,
        filename=str(hlo),
        compute=compute,
    )
    report = {k: v for k, v in result.items() if k != "baselines"}
    report["label"] = PREDICTION_LABEL
    report["hlo"] = str(hlo)
    if jax is None:
        report["jax_default"] = None
    elif baselines:
        scored = result["baselines"][0]
        report["jax_default"] = {"method": "jax.make_mesh", **scored}
    else:
        report["jax_default"] = {"method": "jax.make_mesh", **jax}
    return report


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4g} ms"


def _coords(order: list[list[int]]) -> str:
    # Drop z on 2-D slices (always 0) so more of the order fits.
    flat = all(len(c) == 3 and c[2] == 0 for c in order)
    text = " ".join("(" + ",".join(map(str, c[:2] if flat else c)) + ")" for c in order)
    return text if len(text) <= 48 else text[:45] + "..."


def run(args: argparse.Namespace) -> int:
    mesh = parse_mesh(args.mesh)
    names = parse_axis_names(args.axis_names, mesh)
    report = rank(
        args.hlo,
        args.topology,
        mesh,
        names,
        args.top,
        args.exhaustive_limit,
        not args.no_jax,
        compute=args.compute,
    )
    if args.json:
        print_json(report)
        return 0
    from rich.table import Table

    c = console()
    c.print(
        f"[bold]{report['topology']}[/bold] mesh {report['mesh_shape']} "
        f"({','.join(report['axis_names'])}): {report['structured_count']} structured, "
        f"{report['distinct_count']} distinct, {report['reduced_count']} after symmetry "
        f"reduction{' (truncated, + local search)' if report['truncated'] else ''}"
    )
    c.print(
        f"step latency: [italic]{PREDICTION_LABEL}[/italic] (Q2; compute from the "
        f"{report['compute_source']} source)"
    )
    table = Table(show_lines=False)
    for col in ("rank", "step", "exposed comm", "by axis", "placement", "device order"):
        table.add_column(col)
    for p in report["placements"]:
        b = p["breakdown"]
        axes = ", ".join(f"{x['name']} {_ms(x['seconds'])}" for x in b["exposed_by_axes"])
        table.add_row(
            str(p["rank"]),
            _ms(p["seconds"]),
            _ms(b["exposed_comm_seconds"]),
            axes,
            p["description"],
            _coords(p["device_order"]),
        )
    c.print(table)
    jd = report["jax_default"]
    if jd is None:
        return 0
    if "seconds" in jd:
        best = report["placements"][0]["seconds"]
        c.print(
            f"jax.make_mesh: {_ms(jd['seconds'])} (rank {jd['rank']} among "
            f"{report['reduced_count']} scored; the best is {jd['seconds'] / best:.3f}x faster), "
            f"device order {_coords(jd['device_order'])}"
        )
    else:
        c.print(f"jax.make_mesh: not available ({jd['error']})")
    return 0
