"""``aoizora collective``: model prediction of one collective on a slice.

Example::

    aoizora collective --topology v5e:2x4 --kind all-gather --bytes 8e6 \\
        --groups '[4,2]<=[2,4]T(1,0)'

``--bytes`` is V: the full array per group (the gathered result of an all-gather, the buffer of an
all-reduce, group size x per-device buffer for an all-to-all, the bytes each pair sends for a
collective-permute). GROUPS is a JSON list of lists of logical ids or an HLO iota form; for
collective-permute give source->target pairs with ``--pairs '[[0,1],[1,0]]'`` (or as --groups).
The placement maps logical id i to device id placement[i] (default: i on device i). The time is a
model prediction, not a measurement (algorithms: docs/comm-model.md).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from aoizora.cli._common import INT64_MAX, PREDICTION_LABEL, console, print_json

KINDS = ["all-gather", "reduce-scatter", "all-reduce", "all-to-all", "collective-permute"]
# Every device of a group gathers, scatters or exchanges equal shares: groups of one size.
EQUAL_GROUPS = ("all-gather", "reduce-scatter", "all-to-all")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "collective",
        help="predict the time and link loads of one collective on a slice",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--topology", required=True, help="slice spec, e.g. v5e:2x4")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--bytes", required=True, help="V, the full array per group (bytes)")
    p.add_argument("--groups", help="JSON list of lists, or iota form like [4,2]<=[2,4]T(1,0)")
    p.add_argument("--pairs", help="collective-permute: JSON list of [source, target]")
    p.add_argument("--placement", help="JSON list: placement[logical id] = device id")
    p.add_argument("--ring-order", choices=["best", "listed"], default="best")
    p.add_argument("--contention", choices=["fair", "measured"], default="fair")
    p.add_argument("--links", action="store_true", help="list the load on every used link")
    p.add_argument(
        "--simulate",
        action="store_true",
        help="also simulate it on SimGrid (simulator prediction; docs/simgrid.md)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def parse_bytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--bytes must be a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"--bytes must be finite and >= 0, got {text!r}")
    return value


def _int_lists(value: Any, what: str, text: str) -> list[list[int]]:
    ok = isinstance(value, list) and all(
        isinstance(g, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in g)
        for g in value
    )
    if not ok:
        raise ValueError(f"{what} must be a JSON list of lists of integers, got {text!r}")
    return value


def parse_groups(text: str) -> list[list[int]]:
    """JSON list of lists, or the HLO iota form ``[G,S]<=[dims]T(perm)``."""
    import aoizora

    stripped = text.strip()
    if "<=" in stripped:
        return [list(g) for g in aoizora.core().parse_iota_groups(stripped)]
    try:
        value = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(
            f"--groups must be JSON like [[0,1],[2,3]] or an iota form like [4,2]<=[2,4]T(1,0), "
            f"got {text!r}"
        ) from None
    return _int_lists(value, "--groups", text)


def parse_pairs(text: str) -> list[tuple[int, int]]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(f"--pairs must be JSON like [[0,1],[1,0]], got {text!r}") from None
    pairs = _int_lists(value, "--pairs", text)
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"--pairs entries must be [source, target], got {text!r}")
    return [(p[0], p[1]) for p in pairs]


def parse_placement(text: str) -> list[int]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(f"--placement must be a JSON list of device ids, got {text!r}") from None
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise ValueError(f"--placement must be a JSON list of device ids, got {text!r}")
    return value


def check_ids(ids: list[int], what: str, num_devices: int) -> None:
    """Ids beyond int64 cannot reach the core; name them here (the core checks the rest)."""
    for i in ids:
        if not -INT64_MAX - 1 <= i <= INT64_MAX:
            raise ValueError(
                f"device id {i} in {what} is out of range: logical ids are 0..{num_devices - 1}"
            )


def check_group_sizes(kind: str, groups: list[list[int]]) -> None:
    sizes = sorted({len(g) for g in groups})
    if kind in EQUAL_GROUPS and len(sizes) > 1:
        raise ValueError(
            f"{kind} needs groups of one size (every device contributes an equal share), "
            f"got groups of sizes {', '.join(map(str, sizes))}"
        )


def predict(args: argparse.Namespace) -> dict[str, Any]:
    import aoizora

    core = aoizora.core()
    topo = core.parse_slice_spec(args.topology)
    nbytes = parse_bytes(args.bytes)
    groups = parse_groups(args.groups) if args.groups else None
    pairs = parse_pairs(args.pairs) if args.pairs else None
    pairs_option = "--pairs"
    if args.kind == "collective-permute":
        if pairs is None and groups is not None:
            pairs = parse_pairs(args.groups)
            groups, pairs_option = None, "--groups"
        if pairs is None:
            raise ValueError("collective-permute needs --pairs (source->target pairs)")
    elif pairs is not None:
        raise ValueError(f"{args.kind} takes --groups, not --pairs")
    elif groups is None:
        raise ValueError(f"{args.kind} needs --groups")
    placement = parse_placement(args.placement) if args.placement else None
    n = int(topo.num_devices)
    if groups is not None:
        check_ids([i for g in groups for i in g], "--groups", n)
        check_group_sizes(args.kind, groups)
    if pairs is not None:
        check_ids([i for p in pairs for i in p], pairs_option, n)
    if placement is not None:
        check_ids(placement, "--placement", n)
    model = core.CommModel(topo, ring_order=args.ring_order, contention=args.contention)
    cost = model.cost(args.kind, nbytes, groups=groups, pairs=pairs, placement=placement)
    simulated = None
    if getattr(args, "simulate", False):
        sim = core.Simulator(topo, ring_order=args.ring_order)
        simulated = sim.simulate_collective(
            args.kind, nbytes, groups=groups, pairs=pairs, placement=placement
        ).to_dict()
    out = {
        "label": PREDICTION_LABEL,
        "topology": str(topo),
        "kind": args.kind,
        "bytes": nbytes,
        "ring_order": args.ring_order,
        "contention": args.contention,
        **cost,
    }
    if simulated is not None:
        out["simulated"] = simulated
    return out


def run(args: argparse.Namespace) -> int:
    result = predict(args)
    if args.json:
        print_json(result)
        return 0
    c = console()
    us = 1e6
    c.print(
        f"[bold]{result['kind']}[/bold] of {result['bytes']:.4g} B on {result['topology']}: "
        f"[bold]{result['seconds'] * us:.2f} us[/bold] ({PREDICTION_LABEL})"
    )
    c.print(
        f"  bandwidth {result['bulk_seconds'] * us:.2f} us + hops {result['hops']} x "
        f"{result['passes']} pass(es) {result['hop_latency_seconds'] * us:.2f} us + fixed "
        f"{result['fixed_latency_seconds'] * us:.2f} us"
    )
    b = result["bottleneck_link"]
    if b is None:
        c.print("  no link carries data")
    else:
        c.print(f"  bottleneck link {b['name']}: {b['bytes']:.4g} B")
    sim = result.get("simulated")
    if sim is not None:
        c.print(
            f"  SimGrid: [bold]{sim['seconds'] * us:.2f} us[/bold] ({sim['label']}): network "
            f"{sim['network_seconds'] * us:.2f} us x {sim['passes']} pass(es) + fixed "
            f"{sim['fixed_latency_seconds'] * us:.2f} us, {sim['flows']} flows"
        )
    if args.links:
        for link in sorted(result["link_loads"], key=lambda x: -x["bytes"]):
            c.print(f"    {link['name']}: {link['bytes']:.4g} B")
    return 0
