"""Helpers shared by CLI commands: JSON output and rich tables."""

from __future__ import annotations

import json
import sys
from typing import Any

PREDICTION_LABEL = "model prediction, not a measurement"


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def console():
    from rich.console import Console

    return Console()


def add_scenario_arguments(p) -> None:
    """--model/--resolution/--frames/--topology with the planner's defaults (the README's main
    job: Wan 2.1 T2V-1.3B, 480p, 81 frames, v5e 2x4)."""
    p.add_argument("--model", default="wan2.1-t2v-1.3b", help="see `aoizora model info`")
    p.add_argument("--resolution", default="480p")
    p.add_argument("--frames", type=int, default=81, help="4k+1 frames")
    p.add_argument("--topology", default="v5e:2x4", help="slice spec, e.g. v5e:2x4, v5e:4x4")
    p.add_argument(
        "--compiler",
        choices=["tpu", "cpu"],
        default="tpu",
        help="tpu: TPU compiler ahead of time (libtpu); cpu: labelled XLA CPU fallback",
    )
    p.add_argument("--cache-dir", default=None, help="compile cache (default ~/.cache/aoizora)")
