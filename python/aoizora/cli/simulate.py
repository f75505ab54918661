"""``aoizora simulate``: replay a compiled step on SimGrid, next to Q2's prediction.

Reads a compiled (SPMD-partitioned) HLO module, builds its step program as ``aoizora rank`` does,
and replays it on a placement with every collective's time taken from SimGrid (flow-level network
simulation with max-min sharing on the slice's ICI links) instead of the comm model; compute is
Q2's, so only communication differs (docs/simgrid.md). Prints the simulated step (``seconds``,
``comm_seconds``) and Q2's for the same placement. Both are predictions, not measurements.

Placement: ``best`` (default; the top placement of Q2's ranking), ``jax`` (jax.make_mesh's device
order on the slice's compile-only devices; needs libtpu), or a JSON list with one entry per
logical device: device ids ``[0,1,...]`` or chip coordinates ``[[0,0,0],[1,0,0],...]``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from aoizora.cli._common import (
    PREDICTION_LABEL,
    add_calibration_argument,
    add_compiled_module_arguments,
    add_model_source_arguments,
    console,
    print_json,
    read_input_file,
)
from aoizora.cli.rank import (
    check_mesh_matches_module,
    jax_default_order,
    parse_axis_names,
    parse_mesh,
)

SIMULATOR_LABEL = "simulator prediction (SimGrid)"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="replay a compiled step on SimGrid (simulator prediction) next to Q2",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_compiled_module_arguments(p)
    p.add_argument(
        "--placement",
        default="best",
        help="best (default), jax, or a JSON list of device ids or [x,y,z] per logical device",
    )
    add_model_source_arguments(p, attention=False)
    add_calibration_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run, native_log=True)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_placement(text: str, topo: Any, n: int) -> list[list[int]]:
    """Chip coordinates per logical device from a JSON list of ids or coordinates."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(
            f"--placement must be best, jax or a JSON list of device ids or [x,y,z], got {text!r}"
        ) from None
    if not isinstance(value, list):
        raise ValueError(f"--placement must be a JSON list, got {text!r}")
    if len(value) != n:
        raise ValueError(f"--placement has {len(value)} entries; the mesh has {n} logical devices")
    if all(_is_int(v) for v in value):
        bad = [v for v in value if not 0 <= v < topo.num_devices]
        if bad:
            raise ValueError(
                f"--placement device id {bad[0]} is not on {topo} (ids 0..{topo.num_devices - 1})"
            )
        return [list(c) for c in topo.coords_of(value)]
    if all(isinstance(v, list) and v and all(_is_int(c) for c in v) for v in value):
        topo.ids_of(value)  # ValueError naming a coordinate off the slice
        return value
    raise ValueError(f"--placement entries must be device ids or [x,y,z] lists, got {text!r}")


def simulate(
    hlo: Path,
    topology: str,
    mesh: list[int],
    axis_names: list[str],
    placement: str = "best",
    compute: str = "compiler",
    calibration: str | None = None,
) -> dict:
    """The simulated step as the JSON report; ValueError for bad input. ``calibration``: a
    calibration file whose constants replace the table's for both SimGrid's links and Q2."""
    import aoizora
    from aoizora.calibrate.calibration_file import (
        calibrated_topology,
        constant_sources,
        load_calibration,
    )

    core = aoizora.core()
    cal = load_calibration(calibration) if calibration else None
    topo = calibrated_topology(core.parse_slice_spec(topology), cal)
    text = read_input_file(hlo)
    n = math.prod(mesh)
    if n > topo.num_devices:
        raise ValueError(
            f"--mesh {','.join(map(str, mesh))} has {n} devices, more than {topology}'s "
            f"{topo.num_devices}"
        )
    check_mesh_matches_module(text, mesh, str(hlo))
    candidate = core.CompiledCandidate(text, topo, mesh, axis_names, filename=str(hlo))
    if placement == "best":
        ranking = candidate.rank(top=1, compute=compute)
        coords = [list(c) for c in ranking.placements[0].device_coords]
        method = "best (Q2's top placement)"
    elif placement == "jax":
        order = jax_default_order(topology, mesh, axis_names)
        if "error" in order:
            raise RuntimeError(f"jax.make_mesh order not available: {order['error']}")
        coords = order["device_order"]
        method = "jax.make_mesh"
    else:
        coords = parse_placement(placement, topo, n)
        method = "given"
    sim = core.Simulator(topo)
    step = sim.simulate_steps(candidate, [coords], compute=compute)[0]
    return {
        "label": SIMULATOR_LABEL,
        "model_label": PREDICTION_LABEL,
        "hlo": str(hlo),
        "topology": str(topology),
        "mesh_shape": mesh,
        "axis_names": axis_names,
        "placement_method": method,
        "device_order": coords,
        "device_ids": list(topo.ids_of(coords)),
        "calibration": constant_sources(topo, cal),
        **step.to_dict(),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4g} ms"


def run(args: argparse.Namespace) -> int:
    mesh = parse_mesh(args.mesh)
    names = parse_axis_names(args.axis_names, mesh)
    report = simulate(
        args.hlo, args.topology, mesh, names, args.placement, args.compute, args.calibration
    )
    if args.json:
        print_json(report)
        return 0
    c = console()
    c.print(
        f"[bold]{report['topology']}[/bold] mesh {report['mesh_shape']}, placement "
        f"{report['placement_method']}: device ids {report['device_ids']}"
    )
    c.print(
        f"SimGrid step {_ms(report['seconds'])}, comm {_ms(report['comm_seconds'])} "
        f"[italic]({SIMULATOR_LABEL})[/italic]"
    )
    c.print(
        f"Q2 step      {_ms(report['model_seconds'])}, comm {_ms(report['model_comm_seconds'])} "
        f"[italic]({PREDICTION_LABEL})[/italic]"
    )
    c.print(f"compute (Q2's clock in both) {_ms(report['compute_seconds'])}")
    from aoizora.calibrate.calibration_file import describe

    c.print(describe(report["calibration"]), markup=False, highlight=False)
    return 0
