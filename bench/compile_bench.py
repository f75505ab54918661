"""Compile benchmark: lowering and compile time per candidate, and peak memory per chip, for
Wan 2.1 one denoising step (both CFG passes), compiled ahead of time by the TPU compiler (libtpu)
on this CPU-only host.

Scenarios (issue 5 item 5):
  1.3b  wan2.1-t2v-1.3b at 480p, 81 frames, on v5e:2x4
  14b   wan2.1-t2v-14b at 720p, 81 frames, on v5e:4x4

Usage: .venv/bin/python bench/compile_bench.py [--scenario 1.3b|14b|all] [--max-candidates N]
           [--workers N] [--timeout S] [--compiler tpu|cpu] [--out bench/results/compile]

Writes <out>.csv and <out>.md after every candidate (partial runs keep what finished). Compiles
are not cached here (each one is timed); the machine's name, core count and versions go into
the Markdown header. Times are wall-clock measurements of this host, not model predictions.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import time
from pathlib import Path

from aoizora.compiler import env

SCENARIOS = {
    "1.3b": (
        "wan2.1-t2v-1.3b",
        "480p",
        "v5e:2x4",
        [
            "cfg=2,ulysses=4",
            "cfg=2,ring=4",
            "cfg=2,kv_gather=4",
            "kv_gather=8|w:kv_gather",
            "cfg=2,tp=4",
        ],
    ),
    "14b": (
        "wan2.1-t2v-14b",
        "720p",
        "v5e:4x4",
        [
            "cfg=2,ulysses=8",
            "cfg=2,ulysses=8|w:cfg,ulysses",
            "cfg=2,kv_gather=8|w:kv_gather",
            "cfg=2,ring=2,ulysses=4|w:cfg,ring,ulysses",
            "cfg=2,tp=8",
        ],
    ),
}

COLUMNS = [
    "model",
    "resolution",
    "topology",
    "candidate",
    "compiler",
    "status",
    "lower_s",
    "compile_s",
    "worker_wall_s",
    "argument_gib",
    "temp_gib",
    "peak_gib",
    "hbm_gib",
    "fits",
    "xla_cost_tflop",
    "formula_tflop_per_chip",
    "error",
]

GIB = float(1 << 30)


def row_of(model, resolution, result, formula_flops_per_chip: float) -> dict:
    m = result.memory
    row = {
        "model": model,
        "resolution": resolution,
        "topology": result.topology,
        "candidate": result.candidate,
        "compiler": result.compiler,
        "status": result.status,
        "lower_s": f"{result.lower_seconds:.1f}",
        "compile_s": f"{result.compile_seconds:.1f}",
        "worker_wall_s": f"{result.wall_seconds:.1f}",
        "argument_gib": f"{m.argument_bytes / GIB:.2f}" if m else "",
        "temp_gib": f"{m.temp_bytes / GIB:.2f}" if m else "",
        "peak_gib": f"{m.peak_bytes / GIB:.2f}" if m else "",
        "hbm_gib": f"{m.hbm_bytes / GIB:.2f}" if m else "",
        "fits": {True: "yes", False: "no", None: "?"}[result.fits],
        "xla_cost_tflop": f"{result.cost.get('flops', 0.0) / 1e12:.2f}" if result.ok else "",
        "formula_tflop_per_chip": f"{formula_flops_per_chip / 1e12:.1f}",
        "error": result.error.splitlines()[0][:160] if result.error else "",
    }
    if result.status == "oom" and result.oom_used_bytes:
        row["peak_gib"] = f">{result.oom_used_bytes / GIB:.2f} (needed)"
        row["hbm_gib"] = f"{result.oom_limit_bytes / GIB:.2f} (usable)"
    return row


def write_outputs(out: Path, rows: list[dict], header: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    shown = [c for c in COLUMNS if c not in ("compiler", "error")]
    lines = [header, "", "| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731 - labels contain '|w:'
    lines += ["| " + " | ".join(cell(r[c]) for c in shown) + " |" for r in rows]
    errors = [r for r in rows if r["error"]]
    if errors:
        lines += ["", "Failures and notes:", ""]
        lines += [f"- `{r['candidate']}` ({r['status']}): {r['error']}" for r in errors]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    p.add_argument("--max-candidates", type=int, default=5)
    p.add_argument("--workers", type=int, default=1, help="parallel compiles (memory!)")
    p.add_argument("--timeout", type=float, default=1200.0, help="seconds per compile")
    p.add_argument("--compiler", choices=["tpu", "cpu"], default="tpu")
    p.add_argument("--out", default="bench/results/compile")
    p.add_argument("--append", action="store_true", help="keep the rows already in <out>.csv")
    args = p.parse_args(argv)
    if args.max_candidates < 1:
        p.error(f"--max-candidates must be >= 1, got {args.max_candidates}")
    env.configure()
    from aoizora.compiler import adapter
    from aoizora.compiler.cache import toolchain_versions
    from aoizora.models import Candidate, family_of, model_info

    v = toolchain_versions()
    header = (
        "# Wan 2.1 compile benchmark (measured on this host; not model predictions)\n\n"
        f"Run {datetime.datetime.now().isoformat(timespec='minutes')} on {platform.node()} "
        f"({os.cpu_count()} cores), jax {v['jax']}, libtpu {v['libtpu']}, compiler "
        f"`{args.compiler}`, {args.workers} compile worker(s) at a time, no compile cache. "
        "lower_s: trace + lower in the worker; compile_s: XLA compile; worker_wall_s: the "
        "worker process end to end (Python and JAX start-up, libtpu init, lower, compile). "
        "peak_gib: per chip, max(XLA peak_memory_in_bytes, arguments + outputs + temps + code); "
        "hbm_gib: the chip's HBM (16 GiB on v5e). An `oom` status is libtpu refusing the program "
        "at compile time; its figures are libtpu's own (needed vs usable HBM). xla_cost_tflop: "
        "`cost_analysis()['flops']` per chip, which counts each while-loop body (the layer scan, "
        "the attention chunk loops) once; formula_tflop_per_chip: the model's reference FLOPs "
        "per step (aoizora.models.model_info) divided by the chip count, for comparison."
    )
    out = Path(args.out)
    rows: list[dict] = []
    if args.append and out.with_suffix(".csv").exists():
        with open(out.with_suffix(".csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        header += " Rows from earlier runs (`--append`) keep their own timings."
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    for name in names:
        model, resolution, topology, labels = SCENARIOS[name]
        family = family_of(model)
        workload = family.workload(family.scenario(model, resolution, 81), "jax")
        cands = [Candidate.parse(t) for t in labels[: args.max_candidates]]
        chips = cands[0].num_devices()
        per_chip = model_info(model, resolution, 81)["flops_per_step"] / chips

        def record(job, result, model=model, resolution=resolution, per_chip=per_chip):
            rows.append(row_of(model, resolution, result, per_chip))
            write_outputs(out, rows, header)
            print(f"{result.candidate}: {result.status} compile {result.compile_seconds:.1f} s")

        t0 = time.perf_counter()
        adapter.compile_many(
            cands,
            topology,
            workload=workload,
            compiler=args.compiler,
            workers=args.workers,
            timeout_s=args.timeout,
            cache=False,
            progress=sys.stderr.isatty(),
            on_result=record,
        )
        print(f"{name}: {len(cands)} candidates in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
