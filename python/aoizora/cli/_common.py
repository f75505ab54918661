"""Helpers shared by CLI commands: JSON output and rich tables."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PREDICTION_LABEL = "model prediction, not a measurement"
# The README's main job (plain `aoizora plan`): one model name, no family code imported.
MAIN_JOB_MODEL = "wan2.1-t2v-1.3b"
# Integers reach the C++ core as int64: anything beyond is bad input, not a binding TypeError.
INT64_MAX = 2**63 - 1


def int_arg(name: str, lo: int | None = None, hi: int | None = INT64_MAX) -> Callable[[str], int]:
    """An argparse ``type`` for an integer option in ``lo..hi`` (default: up to int64, what the
    core takes; ``hi=None`` for values checked in Python, which say why); the message names the
    option and the value."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"{name} must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"{name} must be <= {hi}, got {value}")
        return value

    return parse


def check_int(value: Any, what: str, lo: int = -INT64_MAX - 1, hi: int = INT64_MAX) -> int:
    """``value`` if it is an int (not a bool) in ``lo..hi``, else ValueError naming it."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{what} must be in {lo}..{hi}, got {value}")
    return value


def read_input_file(path: str | os.PathLike, what: str = "HLO file") -> str:
    """The text of a file the user named (undecodable bytes replaced); ValueError (exit 2) with
    a message naming the path when it is missing, unreadable, a directory or not a regular file
    (a FIFO would block the read)."""
    name = str(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ValueError(f"no such {what}: {name!r}") from None
    except OSError as e:
        raise ValueError(f"cannot read {what} {name!r}: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ValueError(f"{what} {name!r} is a directory; give a file")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(
            f"{what} {name!r} is not a regular file (a FIFO, socket or device); give a file"
        )
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {what} {name!r}: {e.strerror}") from None
    return data.decode("utf-8", errors="replace")


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


# Width given to rich when stdout is not a terminal (a pipe, a file): wide enough that no table
# cell is ever cut ("ring=4,ulys…") or folded; the table itself stays as narrow as its content.
PIPE_WIDTH = 4096


def console():
    """A rich console for stdout: the terminal's width on a terminal (cells fold, never cut),
    no width limit otherwise (full labels in pipes and files)."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=PIPE_WIDTH)


def add_scenario_arguments(p) -> None:
    """--model/--resolution/--frames/--batch/--topology with the planner's defaults (the README's
    main job: Wan 2.1 T2V-1.3B, 480p, 81 frames, v5e 2x4)."""
    add_model_arguments(p)
    p.add_argument("--topology", default="v5e:2x4", help="slice spec, e.g. v5e:2x4, v5e:4x4")
    p.add_argument(
        "--compiler",
        choices=["tpu", "cpu"],
        default="tpu",
        help="tpu: TPU compiler ahead of time (libtpu); cpu: labelled XLA CPU fallback",
    )
    p.add_argument("--cache-dir", default=None, help="compile cache (default ~/.cache/aoizora)")


def add_model_arguments(p, default_model: str | None = MAIN_JOB_MODEL) -> None:
    """--model/--resolution/--frames/--batch; defaults are the model family's."""
    from aoizora.models import model_names

    p.add_argument(
        "--model",
        default=default_model,
        required=default_model is None,
        help=f"one of {', '.join(model_names())}"
        + (f" (default {default_model})" if default_model else ""),
    )
    p.add_argument(
        "--resolution", default=None, help="default: the model's (e.g. 480p, 720p, 1024)"
    )
    p.add_argument(
        "--frames",
        type=int_arg("--frames", hi=None),
        default=None,
        help="video models: frames, 4k+1 (default 81)",
    )
    p.add_argument(
        "--batch",
        type=int_arg("--batch", hi=None),
        default=1,
        help="samples per step (image models: images of a batch)",
    )


def add_model_source_arguments(p, attention: bool = True) -> None:
    """--attention (what the planned program runs) and --compute (Q2's compute source)."""
    from aoizora.planner.sources import COMPUTE_SOURCES, DEFAULT_COMPUTE

    if attention:
        p.add_argument(
            "--attention",
            choices=["splash", "pallas", "jax"],
            default=None,
            help="splash: the Pallas splash kernel (default on the TPU compiler, what production "
            "TPU diffusion code runs); pallas: the Pallas flash kernel; jax: blockwise attention "
            "in plain JAX (default and only choice on the CPU compiler). Baselines use the same.",
        )
    p.add_argument(
        "--compute",
        choices=list(COMPUTE_SOURCES),
        default=DEFAULT_COMPUTE,
        help="compute source of the step model: compiler = libtpu's own per-op cycle estimates "
        "(ops without one, e.g. Pallas kernels, at the roofline); roofline = ours. Modules "
        f"without estimates (CPU compiler) always use the roofline. Default: {DEFAULT_COMPUTE} "
        "(docs/fidelity.md says why).",
    )


def add_calibration_argument(p) -> None:
    """--calibration FILE: a calibration (``aoizora calibrate``) whose constants replace the
    sourced table's; every output says which constants came from where."""
    p.add_argument(
        "--calibration",
        default=None,
        metavar="FILE",
        help="calibration file from `aoizora calibrate` on the slice's kind of device: its "
        "constants replace the sourced table's (outputs say which came from where)",
    )


def add_compiled_module_arguments(p) -> None:
    """--hlo/--topology/--mesh/--axis-names: a compiled module, the slice and the logical mesh it
    was partitioned for (rank, simulate)."""
    p.add_argument("--hlo", type=Path, required=True, help="compiled HLO text file")
    p.add_argument("--topology", required=True, help="slice spec, e.g. v5e:2x4")
    p.add_argument("--mesh", required=True, help="logical mesh shape, e.g. 2,4 (row-major)")
    p.add_argument("--axis-names", default=None, help="logical axis names, e.g. cfg,sp")
