"""``aoizora plan``: choose the sharding and the device placement for one denoising step.

Enumerates the model's parallel-strategy candidates for the slice, lowers each (pre-compile HLO),
bounds it (Q1) and drops those that cannot fit HBM, compiles the K best estimates (topk, the
default: one per parallel layout first) or every candidate whose bound can still beat the best
prediction so far (--mode exact: tens of minutes cold), ranks the physical placements of every
compiled candidate (Q2), compares with existing solutions under the same model, and writes
plan.json, report.md, candidates.csv and plan.png to --out (libtpu's and the compile workers'
logs to --out/logs). --explain says why the plan wins.
Every latency is a model prediction, not a measurement.
"""

from __future__ import annotations

import argparse

from aoizora.cli._common import (
    add_calibration_argument,
    add_model_source_arguments,
    add_scenario_arguments,
    console,
    int_arg,
    print_json,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plan",
        help="plan sharding + device placement for a Wan 2.1 step on a TPU slice",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_arguments(p)
    p.add_argument(
        "--mode",
        choices=["topk", "exact"],
        default="topk",
        help="topk (default): compile the K best estimates; exact: every candidate that can "
        "still win (slow)",
    )
    add_model_source_arguments(p)
    p.add_argument("--k", type=int, default=4, help="candidates to compile in topk mode (4)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel compiles (default: cores; with --executor ray, the cluster's CPUs)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="where compiles run: local worker processes (default) or Ray tasks "
        "(docs/compile-farm.md)",
    )
    p.add_argument(
        "--ray-address",
        default=None,
        help="--executor ray: the Ray cluster to join (default $RAY_ADDRESS, else a local Ray "
        "instance with --workers CPUs)",
    )
    p.add_argument(
        "--oracle",
        action="store_true",
        help="also compile every candidate and score every permutation (<= 8 chips)",
    )
    add_calibration_argument(p)
    p.add_argument(
        "--measure",
        type=int_arg("--measure", lo=0, hi=1000),
        default=0,
        metavar="N",
        help="after ranking, run the N best plans and every baseline on the devices present "
        "(they must be the plan's slice; with --compiler cpu, that many CPU devices) and pick "
        "the winner by measurement",
    )
    p.add_argument(
        "--measure-steps",
        type=int_arg("--measure-steps", lo=1, hi=10000),
        default=5,
        help="timed steps per measured row, after --measure-warmup untimed ones (5)",
    )
    p.add_argument(
        "--measure-warmup",
        type=int_arg("--measure-warmup", lo=0, hi=10000),
        default=2,
        help="untimed steps before the timed ones (2)",
    )
    p.add_argument("--out", default="aoizora-out", help="directory for plan.json and reports")
    p.add_argument("--json", action="store_true", help="print plan.json to stdout")
    p.add_argument(
        "--explain",
        action="store_true",
        help="say in plain words why the plan wins (also in report.md)",
    )
    p.set_defaults(run=run, native_log=True)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aoizora.compiler import env

    out = Path(args.out)
    try:  # fail now, not after a long plan
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"cannot write to --out {args.out!r}: {e.strerror}") from None

    env.configure()
    from aoizora.planner import PlanRequest, run_plan
    from aoizora.planner.progress import Progress
    from aoizora.planner.report import print_explanation, print_table, write_outputs

    req = PlanRequest(
        model=args.model,
        resolution=args.resolution,
        frames=args.frames,
        batch=args.batch,
        topology=args.topology,
        mode=args.mode,
        k=args.k,
        compiler=args.compiler,
        attention=args.attention,
        compute=args.compute,
        workers=args.workers,
        oracle=args.oracle,
        cache_dir=args.cache_dir,
        calibration=args.calibration,
        measure=args.measure,
        measure_steps=args.measure_steps,
        measure_warmup=args.measure_warmup,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    with Progress(enabled=True) as progress:
        outcome = run_plan(req, progress)
    written = write_outputs(outcome, args.out)
    if args.json:
        if outcome.plan is None:
            print_json(
                {"error": "no candidate could be compiled and placed", "stats": outcome.stats}
            )
            return 1
        print_json(outcome.plan.to_json())
        return 0
    c = console()
    print_table(outcome, c)
    if args.explain:
        print_explanation(outcome, c)
    c.print("wrote " + ", ".join(str(p) for p in written), markup=False, highlight=False)
    return 0 if outcome.plan is not None else 1
