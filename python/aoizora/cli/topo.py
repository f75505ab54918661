"""``aoizora topo SPEC``: a TPU slice as the planner models it.

Shape, wraparound per axis, chip and device counts, links and the chip spec (every constant
with its source in docs/hardware-constants.md). Device ids follow the TPU runtime numbering:
id = core + cores_per_chip * (x + X * (y + Y * z)).
"""

from __future__ import annotations

import argparse
from typing import Any

from aoizora.cli._common import console, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "topo",
        help="show a slice: shape, wraparound, chips, links, chip spec",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("spec", help="slice spec, e.g. v5e:2x4, v6e:8x16, v5p:2x2x2, tpu7x:2x2x1")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def describe(spec: str) -> dict[str, Any]:
    """The slice as a JSON-ready dict (ValueError for a bad spec)."""
    import aoizora

    topo = aoizora.core().parse_slice_spec(spec)
    links = topo.links()
    devices = [
        {"id": d, "coords": list(topo.device_coords(d)), "core_on_chip": topo.core_on_chip(d)}
        for d in range(topo.num_devices)
    ]
    return {
        "spec": str(topo),
        "generation": topo.generation,
        "shape": list(topo.shape),
        "wrap": list(topo.wrap),
        "num_chips": topo.num_chips,
        "num_devices": topo.num_devices,
        "cores_per_chip": topo.cores_per_chip,
        "num_ici_links": topo.num_ici_links(),
        "num_die_to_die_links": sum(1 for link in links if link["axis"] == "core"),
        "links_note": "directed links (each cable counts once per direction)",
        "chip": topo.chip,
        "devices": devices,
    }


def run(args: argparse.Namespace) -> int:
    info = describe(args.spec)
    if args.json:
        print_json(info)
        return 0
    from rich.table import Table

    c = console()
    shape = "x".join(map(str, info["shape"]))
    wrap = ", ".join(f"{'xyz'[i]}={'wrap' if w else 'open'}" for i, w in enumerate(info["wrap"]))
    c.print(f"[bold]{info['spec']}[/bold]  shape {shape}  ({wrap})")
    c.print(
        f"{info['num_chips']} chips, {info['num_devices']} devices "
        f"({info['cores_per_chip']} per chip), {info['num_ici_links']} directed ICI links"
        + (
            f", {info['num_die_to_die_links']} directed die-to-die links"
            if info["num_die_to_die_links"]
            else ""
        )
    )
    table = Table(title="chip spec (sources: docs/hardware-constants.md)")
    table.add_column("constant")
    table.add_column("value", justify="right")
    for key, value in info["chip"].items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    c.print(table)
    return 0
