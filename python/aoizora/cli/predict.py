"""``aoizora predict``: compile one given candidate and predict its step latency.

What a user's current configuration costs (placed as ``jax.make_mesh`` would place it, or in
device id order), and what the best placement of the same sharding would give. A model
prediction, not a measurement.
"""

from __future__ import annotations

import argparse

from aoizora.cli._common import (
    add_calibration_argument,
    add_model_source_arguments,
    add_scenario_arguments,
    console,
    print_json,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict the step latency of one given sharding candidate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_arguments(p)
    p.add_argument("--strategy", required=True, help='degrees, e.g. "cfg=2,ulysses=4"')
    p.add_argument("--weights-sharded-over", default="", help='axes, e.g. "ulysses"')
    p.add_argument("--placement", choices=["jax", "best", "ids"], default="jax")
    add_model_source_arguments(p)
    add_calibration_argument(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run, native_log=True)


def run(args: argparse.Namespace) -> int:
    from aoizora.compiler import env

    env.configure()
    from aoizora.planner.predict import PredictRequest, predict

    out = predict(
        PredictRequest(
            model=args.model,
            resolution=args.resolution,
            frames=args.frames,
            batch=args.batch,
            topology=args.topology,
            strategy=args.strategy,
            weights_sharded_over=args.weights_sharded_over,
            placement=args.placement,
            compiler=args.compiler,
            attention=args.attention,
            compute=args.compute,
            cache_dir=args.cache_dir,
            calibration=args.calibration,
        )
    )
    if args.json:
        print_json(out)
        return 0
    c = console()
    c.print(
        f"{out['candidate']} on {out['topology']} ({out['compiler']} compiler, "
        f"{out['attention']} attention, compute from the {out['compute_source']} source)"
    )
    c.print(
        f"predicted step latency with {out['placement']}: {out['seconds'] * 1e3:.2f} ms "
        f"(model prediction); best placement: {out['best_placement_seconds'] * 1e3:.2f} ms"
    )
    from aoizora.calibrate.calibration_file import describe

    c.print(describe(out["calibration"]), markup=False, highlight=False)
    b = out["breakdown"]
    for key in ("compute_seconds", "exposed_comm_seconds"):
        if key in b:
            c.print(f"  {key}: {b[key] * 1e3:.2f} ms")
    return 0
