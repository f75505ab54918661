"""``aoizora calibrate``: measure the model's constants on the JAX devices present.

Runs the micro-benchmarks behind the constants (ppermute sweep per mesh axis, all-gather /
all-reduce / all-to-all over groups, matmuls and narrow matmuls, attention, memory copy,
transcendental throughput; the C1-C9 kinds of docs/calibration.md), each timed by repeated
steady-state runs after warm-up; fits the constants (alpha-beta least squares, efficiencies over
the sourced peaks) and writes a calibration file for --calibration on plan, predict and validate.
On a TPU VM it measures the TPU; on a host without one, the XLA CPU backend with --cpu-devices
forced host devices (CPU numbers, labelled so).
"""

from __future__ import annotations

import argparse
import os

from aoizora.cli._common import int_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="measure the model's constants on the devices present, write calibration.json",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # dest out_file: an "out" attribute is a directory to the native log (cli/_native_log.py).
    p.add_argument("--out", dest="out_file", default="calibration.json", help="file to write")
    p.add_argument("--quick", action="store_true", help="fewer sizes and repeats (~1 min on CPU)")
    p.add_argument(
        "--backend",
        choices=["auto", "cpu"],
        default="auto",
        help="auto: the devices JAX finds (the TPU on a TPU VM); cpu: the XLA CPU backend",
    )
    p.add_argument(
        "--cpu-devices",
        type=int_arg("--cpu-devices", lo=1, hi=4096),
        default=8,
        help="host devices the XLA CPU backend exposes when it is the backend (8)",
    )
    p.add_argument("--json", action="store_true", help="print the calibration to stdout")
    p.set_defaults(run=run, native_log=True)


def _configure(backend: str, cpu_devices: int) -> None:
    """Before JAX starts: the forced host device count only shapes the CPU backend (a TPU VM's
    TPUs are untouched); ``cpu`` also hides any accelerator."""
    flags = [
        f
        for f in os.environ.get("XLA_FLAGS", "").split()
        if not f.startswith("--xla_force_host_platform_device_count")
    ]
    os.environ["XLA_FLAGS"] = " ".join(
        [*flags, f"--xla_force_host_platform_device_count={cpu_devices}"]
    )
    os.environ["JAX_NUM_CPU_DEVICES"] = str(cpu_devices)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if backend == "cpu":
        os.environ["JAX_PLATFORMS"] = "cpu"


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from aoizora.cli._common import console, print_json

    out = Path(args.out_file)
    if out.is_dir():
        raise ValueError(f"--out {args.out_file!r} is a directory; give a file name")
    try:  # fail now, not after the benchmarks
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"cannot write to --out {args.out_file!r}: {e.strerror}") from None
    _configure(args.backend, args.cpu_devices)
    from aoizora.calibrate.run import calibrate
    from aoizora.planner.progress import Progress

    with Progress(enabled=True) as progress:
        doc = calibrate(args.quick, progress)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(out)
    if args.json:
        print_json(doc)
        return 0
    c = console()
    c.print(
        f"calibration on {doc['device_count']} {doc['device_kind']} devices ({doc['note']}); "
        f"{len(doc['benchmarks'])} timed cases in {doc['wall_seconds']:.0f} s",
        markup=False,
        highlight=False,
    )
    for name, entry in doc["constants"].items():
        c.print(
            f"  {name} = {entry['value']:.4g}  ({entry['benchmark']}: {entry['method']})",
            markup=False,
            highlight=False,
        )
    for name, rate in doc["derived"]["rates"].items():
        c.print(f"  measured {name}: {rate:.4g}", markup=False, highlight=False)
    for note in doc["derived"]["notes"]:
        c.print(f"  note: {note}", markup=False, highlight=False)
    c.print(f"wrote {out}", markup=False, highlight=False)
    return 0
