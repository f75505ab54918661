"""``aoizora hlo analyze FILE``: what a compiled HLO module does per device.

Reads HLO text as XLA prints it (``compiled.as_text()``, ``--xla_dump_to`` dumps from any
frontend) and prints the module summary, FLOPs and bytes (XLA's HloCostAnalysis conventions,
while loops expanded by their trip counts) and a table of collectives: kind, bytes per device (the
payload of shared/reference/hlo-text.md section 7), group size, number of groups, async or not,
and how many times it runs per step. With ``--topology SPEC`` it also says where the predicted
compute time goes on that chip (a model prediction: each op's roofline, FLOPs or memory, as the
planner's Q2 replays it) and lists the slowest ops.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aoizora.cli._common import console, int_arg, print_json, read_input_file
from aoizora.planner.sources import COMPUTE_SOURCES, DEFAULT_COMPUTE

_JSON_COLLECTIVE_KEYS = (
    "name",
    "kind",
    "bytes_per_device",
    "bytes_sent_per_device",
    "group_size",
    "num_groups",
    "async",
    "count",
    "window_ops",
    "window_flops",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "hlo",
        help="analyze HLO text (compiled modules, --xla_dump_to files)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="hlo_command", metavar="HLO_COMMAND")
    a = sub.add_parser("analyze", help="FLOPs, bytes and collectives of a compiled module")
    a.add_argument("file", type=Path, help="HLO text file")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.add_argument("--groups", action="store_true", help="also print every collective's groups")
    a.add_argument(
        "--compute",
        choices=list(COMPUTE_SOURCES),
        default=DEFAULT_COMPUTE,
        help="with --topology: which compute source ranks and totals the ops (both are shown)",
    )
    a.add_argument(
        "--topology",
        help="slice spec (e.g. v5e:2x4): also predict the compute time per op on its chip",
    )
    a.add_argument(
        "--top", type=int_arg("--top"), default=15, help="slowest ops to list with --topology"
    )
    a.set_defaults(run=run_analyze)


def analyze_file(path: Path) -> dict:
    """The analysis of one file as a dict; ValueError (with file:line:col) for bad input."""
    import aoizora

    text = read_input_file(path)
    return aoizora.core().analyze_compiled_hlo(text, str(path))


def _json_report(result: dict, with_groups: bool) -> dict:
    keys = _JSON_COLLECTIVE_KEYS + (("groups", "pairs") if with_groups else ())
    out = {k: v for k, v in result.items() if k != "collectives"}
    out["collectives"] = [{k: c[k] for k in keys} for c in result["collectives"]]
    return out


def _bytes(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} B"


def compute_profile(path: Path, topology: str, top: int, compute: str = "compiler") -> dict:
    """Predicted compute time per op of a compiled module on the topology's chip."""
    import aoizora

    if top < 0:
        raise ValueError(f"--top must be >= 0, got {top}")
    text = read_input_file(path)
    return aoizora.core().compute_profile(
        text, topology, top=top, filename=str(path), compute=compute
    )


def compute_summary(profile: dict) -> dict:
    """The module's compute under both sources (``compute`` in --json)."""
    keys = ("roofline_seconds", "compiler_estimate_seconds", "ops_with_estimate")
    out = {k: profile[k] for k in keys}
    out["ops_without_estimate"] = profile["ops_without_estimate"]
    out["source"] = profile["compute_source"]
    out["seconds"] = profile["compute_seconds"]
    return out


def _print_profile(c, profile: dict) -> None:
    from rich.table import Table

    total = profile["compute_seconds"]
    share = (lambda s: f"{100 * s / total:.1f}%") if total > 0 else (lambda s: "-")
    compiler = profile["compiler_estimate_seconds"]
    c.print(
        f"predicted compute on {profile['topology']} ({profile['label']}, "
        f"{profile['compute_source']} source): {total * 1e3:.2f} ms per step; ops with a matmul "
        f"{share(profile['matmul_op_seconds'])}, memory-bound ops "
        f"{share(profile['memory_bound_seconds'])}; the FLOP side alone "
        f"{profile['flop_seconds'] * 1e3:.2f} ms"
    )
    c.print(
        f"by source: compiler (libtpu's estimate; {profile['ops_with_estimate']} ops have one, "
        f"{profile['ops_without_estimate']} at the roofline) "
        + ("n/a (no estimates in this module)" if compiler is None else f"{compiler * 1e3:.2f} ms")
        + f", roofline {profile['roofline_seconds'] * 1e3:.2f} ms"
    )
    table = Table(title=f"slowest {len(profile['ops'])} of {profile['num_ops']} compute ops")
    columns = (
        "op",
        "count",
        "ms each",
        "compiler",
        "roofline",
        "ms total",
        "share",
        "bound",
        "bytes",
        "S(1)",
    )
    for col in columns:
        table.add_column(col, overflow="fold")
    for op in profile["ops"]:
        table.add_row(
            op["name"] + (" (matmul)" if op["matmul"] else ""),
            f"{op['count']:g}",
            f"{op['seconds_each'] * 1e3:.3f}",
            "-"
            if op["compiler_seconds_each"] is None
            else f"{op['compiler_seconds_each'] * 1e3:.3f}",
            f"{op['roofline_seconds_each'] * 1e3:.3f}",
            f"{op['seconds'] * 1e3:.2f}",
            share(op["seconds"]),
            op["bound"],
            _bytes(op["bytes_accessed"]),
            _bytes(op["fast_memory_bytes"]),
        )
    c.print(table)


def run_analyze(args: argparse.Namespace) -> int:
    result = analyze_file(args.file)
    profile = (
        compute_profile(args.file, args.topology, args.top, args.compute) if args.topology else None
    )
    if args.json:
        out = _json_report(result, args.groups)
        if profile is not None:
            out["compute_profile"] = profile
            out["compute"] = compute_summary(profile)
        print_json(out)
        return 0
    from rich.table import Table

    c = console()
    c.print(
        f"[bold]{result['module']}[/bold]  partitions: {result['num_partitions']}  "
        f"compute ops: {result['compute_ops']}  matmuls: {result['matmuls']}  "
        f"while loops: {result['while_loops']}"
    )
    c.print(
        f"per device per step: {result['flops']:.4g} FLOPs, "
        f"{result['transcendentals']:.4g} transcendentals, "
        f"{_bytes(result['bytes_accessed'])} accessed, "
        f"{_bytes(result['fast_memory_bytes'])} of it in fast memory S(1) (loops expanded; "
        f"{result['flops_loop_bodies_once']:.4g} FLOPs with loop bodies once, as XLA counts)"
    )
    table = Table(title="collectives (per device)")
    for col in ("name", "kind", "bytes/device", "sent/device", "group", "groups", "async", "count"):
        table.add_column(col, overflow="fold")
    for col in result["collectives"]:
        table.add_row(
            col["name"],
            col["kind"],
            _bytes(col["bytes_per_device"]),
            _bytes(col["bytes_sent_per_device"]),
            str(col["group_size"]),
            str(col["num_groups"]),
            f"yes ({col['window_ops']} ops overlap)" if col["async"] else "no",
            f"{col['count']:g}",
        )
        if args.groups:
            table.add_row("", "", "", "", "", str(col["groups"] or col["pairs"]), "", "")
    c.print(table)
    if profile is not None:
        _print_profile(c, profile)
    for w in result["warnings"]:
        c.print(f"[yellow]warning:[/yellow] {w}")
    return 0
