"""``aoizora smoke``: prove the real compiler path on this host.

Builds the compile-only TPU devices of a slice with libtpu, compiles a small sharded JAX function
for them ahead of time, and reports the compiled module's collectives, memory and cost analysis.
With ``--compiler cpu`` it uses the XLA CPU backend with a forced device count instead.
"""

from __future__ import annotations

import argparse
import time

from aoizora.cli._common import console, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "smoke",
        help="compile a small sharded function for a TPU slice (checks the compiler path)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--topology", default="v5e:2x4", help="slice spec (default v5e:2x4)")
    p.add_argument("--compiler", choices=["tpu", "cpu"], default="tpu")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run, native_log=True)


def run(args: argparse.Namespace) -> int:
    from aoizora.compiler import smoke

    t0 = time.perf_counter()
    report = smoke.compile_smoke(args.topology, compiler=args.compiler)
    report["wall_seconds"] = time.perf_counter() - t0
    if args.json:
        print_json(report)
        return 0
    c = console()
    c.print(f"[bold]slice[/bold] {report['topology']}  compiler: {report['compiler']}")
    for d in report["devices"]:
        c.print(f"  device {d['id']}: coords {d['coords']}  process {d['process_index']}")
    c.print(f"mesh {report['mesh']}  collectives in compiled HLO: {report['collectives']}")
    c.print(f"memory_analysis: {report['memory']}")
    c.print(f"cost_analysis flops: {report['flops']}")
    c.print(f"compile took {report['compile_seconds']:.2f} s")
    return 0
